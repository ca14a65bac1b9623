package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zricethezav/gitleaks/v8/regexp"

	"github.com/forkscan/forkscan/record"
)

// BenchmarkSecretsVsGitleaks runs, per iteration and one after the other on
// the same machine, `forkscan scan -s secrets` (the binary FORKSCAN_BIN
// names, as make bench sets it, else this test binary as the CLI; with its
// default workers) and `gitleaks dir`
// over $(go env GOROOT)/src, and reports both wall times and their ratio.
// It fails unless both report the same findings (file, line, rule). The
// gitleaks binary is named by FORKSCAN_GITLEAKS (make bench installs the
// release that matches the library in go.mod); FORKSCAN_GITLEAKS_RE2, if
// set, names one built with RE2 (gitleaks' gore2regex option, the regex
// engine forkscan is built with by make), measured too.
func BenchmarkSecretsVsGitleaks(b *testing.B) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		b.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make bench installs one)")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	dir := b.TempDir()
	forkscan := func() ([]string, time.Duration) {
		out := filepath.Join(dir, "forkscan.jsonl")
		cmd := cliCommand("scan", "-s", "secrets", "--no-ignore", "--no-progress", "-o", out, root)
		took := timed(b, cmd, exitFindings)
		return forkscanFindings(b, out), took
	}
	leaks := func(bin string) ([]string, time.Duration) {
		report := filepath.Join(dir, "gitleaks.json")
		took := timed(b, exec.Command(bin, "dir", "--no-banner", "-l", "error", "-f", "json", "-r", report, root), 1)
		return gitleaksReport(b, report, root), took
	}
	bins := map[string]string{"gitleaks": gitleaks, "gitleaks-re2": os.Getenv("FORKSCAN_GITLEAKS_RE2")}
	total := map[string]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		mine, took := forkscan()
		total["forkscan"] += took
		for _, name := range []string{"gitleaks", "gitleaks-re2"} {
			if bins[name] == "" {
				continue
			}
			theirs, took := leaks(bins[name])
			total[name] += took
			if !slices.Equal(mine, theirs) {
				b.Fatalf("iteration %d: forkscan found %d, %s %d; they differ", i, len(mine), name, len(theirs))
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(total["forkscan"].Seconds()/n, "forkscan-s/op")
	b.ReportMetric(total["gitleaks"].Seconds()/n, "gitleaks-s/op")
	b.ReportMetric(total["forkscan"].Seconds()/total["gitleaks"].Seconds(), "forkscan/gitleaks")
	if total["gitleaks-re2"] > 0 {
		b.ReportMetric(total["gitleaks-re2"].Seconds()/n, "gitleaks-re2-s/op")
		b.ReportMetric(total["forkscan"].Seconds()/total["gitleaks-re2"].Seconds(), "forkscan/gitleaks-re2")
	}
	b.ReportMetric(0, "ns/op") // the loop's time is the sum of the tools'
	if b.N > 1 {
		b.Logf("forkscan's regex engine: %s", regexp.Version)
	}
}

// timed runs cmd and returns its wall time; it must exit with code (with
// a negative code: 0 or 1, a scan done with or without findings).
func timed(b *testing.B, cmd *exec.Cmd, code int) time.Duration {
	b.Helper()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	exit := -2
	if cmd.ProcessState != nil {
		exit = cmd.ProcessState.ExitCode()
	}
	if exit != code && (code >= 0 || exit < 0 || exit > 1) {
		b.Fatalf("%s: %v (want exit %d):\n%s", cmd, err, code, out)
	}
	return took
}

func forkscanFindings(b *testing.B, path string) []string {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatal(err)
		}
		for _, fd := range r.Findings {
			out = append(out, findingKey(r.Path, fd.Line, fd.Rule))
		}
	}
	slices.Sort(out)
	return out
}

func gitleaksReport(b *testing.B, path, root string) []string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var found []struct {
		File      string
		StartLine int
		RuleID    string
	}
	if err := json.Unmarshal(data, &found); err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, f := range found {
		rel, _ := filepath.Rel(root, f.File)
		out = append(out, findingKey(rel, f.StartLine, f.RuleID))
	}
	slices.Sort(out)
	return out
}
