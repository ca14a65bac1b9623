package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forkscan/forkscan/record"
)

// TestSecretsParityWithGitleaks runs `forkscan scan -s secrets` and the
// released gitleaks binary that FORKSCAN_GITLEAKS names (make test
// installs one) over the trees people compare them on, and wants the same
// findings: file, start and end line and column, rule. The trees: Go's
// own sources, $(go env GOROOT)/src, and gitleaks' test data (in the
// module cache), both with the members of archives read 8 deep (gitleaks'
// --max-archive-depth 8, forkscan's default).
func TestSecretsParityWithGitleaks(t *testing.T) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		t.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make test installs one)")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("no go command:", err)
	}
	module, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	if err != nil {
		t.Skip("no gitleaks module:", err)
	}
	for _, tc := range []struct {
		name, root string
		least      int // findings there at least, so an empty tree fails
	}{
		{"goroot", filepath.Join(strings.TrimSpace(string(goroot)), "src"), 90},
		{"gitleaks-testdata", filepath.Join(strings.TrimSpace(string(module)), "testdata"), 55},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "forkscan.jsonl")
			// No time limit per job: under the race detector on a busy
			// machine, the 64 MB inside Go's regexp/testdata/re2-exhaustive.txt.bz2
			// take longer than the default minute to unpack and scan.
			cmd := cliCommand("scan", "-s", "secrets", "--no-ignore", "--no-progress", "--no-redact", "--timeout", "0", "-o", out, tc.root)
			if b, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitFindings {
				t.Fatalf("forkscan: %v\n%s", err, b)
			}
			report := filepath.Join(dir, "gitleaks.json")
			cmd = exec.Command(gitleaks, "dir", "--max-archive-depth", "8", "--no-banner", "-l", "error", "-f", "json", "-r", report, tc.root)
			if b, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("gitleaks: %v\n%s", err, b)
			}
			mine, theirs := recordPlaces(t, out), reportPlaces(t, report, tc.root)
			if len(theirs) < tc.least {
				t.Fatalf("gitleaks found %d in %s, fewer than %d", len(theirs), tc.root, tc.least)
			}
			if !slices.Equal(mine, theirs) {
				t.Errorf("forkscan found %d, gitleaks %d:\nonly forkscan %q\nonly gitleaks %q",
					len(mine), len(theirs), without(mine, theirs), without(theirs, mine))
			}
		})
	}
}

// place names a finding as the parity test compares them.
func place(path string, line, column, endLine, endColumn int, rule string) string {
	return fmt.Sprintf("%s:%d:%d-%d:%d:%s", path, line, column, endLine, endColumn, rule)
}

// recordPlaces reads forkscan's JSONL records into sorted places.
func recordPlaces(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		for _, fd := range r.Findings {
			out = append(out, place(fd.Where(r.Path), fd.Line, fd.Column, fd.EndLine, fd.EndColumn, fd.Rule))
		}
	}
	slices.Sort(out)
	return out
}

// reportPlaces reads gitleaks' JSON report into sorted places, relative
// to root.
func reportPlaces(t *testing.T, path, root string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []struct {
		File                   string
		StartLine, EndLine     int
		StartColumn, EndColumn int
		RuleID                 string
	}
	if err := json.Unmarshal(data, &found); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range found {
		rel, _ := filepath.Rel(root, f.File)
		out = append(out, place(rel, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.RuleID))
	}
	slices.Sort(out)
	return out
}

// without is what a holds that b does not (both sorted).
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}
