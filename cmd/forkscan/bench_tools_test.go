package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkToolsVsPeers runs, per iteration and one after the other on the
// same tree, `forkscan scan --tool NAME` (the binary of cliCommand, its
// default workers) and the tool alone as its users run it over a tree:
// `bandit -r` over five packages of Python's standard library (json
// email http urllib xml), and one `shellcheck` invocation over the shell
// scripts of Go's distribution. It reports both wall times and their
// ratio, and fails unless both report the same findings (file, line,
// rule). A tool that is not installed is skipped, saying so.
func BenchmarkToolsVsPeers(b *testing.B) {
	b.Run("bandit", func(b *testing.B) {
		if _, err := exec.LookPath("bandit"); err != nil {
			b.Skip("skipped: bandit is not installed (apt-get install bandit)")
		}
		root := pythonTree(b)
		peer := func() []string {
			out, _ := exec.Command("bandit", "-q", "-r", "-f", "json", root).Output()
			var rep struct {
				Results []struct {
					Filename string `json:"filename"`
					Line     int    `json:"line_number"`
					TestID   string `json:"test_id"`
				} `json:"results"`
			}
			if err := json.Unmarshal(out, &rep); err != nil {
				b.Fatalf("bandit printed no report: %v", err)
			}
			var hits []string
			for _, r := range rep.Results {
				hits = append(hits, fmt.Sprintf("%s:%d:%s", r.Filename, r.Line, r.TestID))
			}
			return hits
		}
		compareTool(b, "bandit", root, peer)
	})
	b.Run("shellcheck", func(b *testing.B) {
		if _, err := exec.LookPath("shellcheck"); err != nil {
			b.Skip("skipped: shellcheck is not installed (apt-get install shellcheck)")
		}
		root, scripts := shellTree(b)
		peer := func() []string {
			out, _ := exec.Command("shellcheck", append([]string{"-f", "json1"}, scripts...)...).Output()
			var rep struct {
				Comments []struct {
					File string `json:"file"`
					Line int    `json:"line"`
					Code int    `json:"code"`
				} `json:"comments"`
			}
			if err := json.Unmarshal(out, &rep); err != nil {
				b.Fatalf("shellcheck printed no report: %v", err)
			}
			var hits []string
			for _, c := range rep.Comments {
				hits = append(hits, fmt.Sprintf("%s:%d:SC%d", c.File, c.Line, c.Code))
			}
			return hits
		}
		compareTool(b, "shellcheck", root, peer)
	})
}

// compareTool times forkscan with the tool's preset against peer over
// root, b.N times each, alternating.
func compareTool(b *testing.B, tool, root string, peer func() []string) {
	out := filepath.Join(b.TempDir(), "out.jsonl")
	var mine, theirs time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		cmd := cliCommand("scan", "-s", "exec", "--tool", tool, "--no-progress", "--format", "jsonl", "-o", out, root)
		if res, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() > 1 {
			b.Fatalf("forkscan: %v\n%s", err, res)
		}
		mine += time.Since(start)
		start = time.Now()
		want := peer()
		theirs += time.Since(start)
		got := toolHits(b, out, tool)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			b.Fatalf("forkscan found %d, %s %d: not the same findings\nforkscan: %v\n%s: %v", len(got), tool, len(want), got, tool, want)
		}
	}
	b.StopTimer()
	b.ReportMetric(mine.Seconds()/float64(b.N), "forkscan-s/op")
	b.ReportMetric(theirs.Seconds()/float64(b.N), tool+"-s/op")
	b.ReportMetric(float64(mine)/float64(theirs), "forkscan/"+tool)
}

// toolHits reads the findings of a forkscan output as file:line:rule.
func toolHits(b *testing.B, path, tool string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var hits []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r struct {
			Root, Path string
			Status     string
			Findings   []struct {
				Rule string
				Line int
			}
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			b.Fatal(err)
		}
		if r.Status == "error" {
			b.Fatalf("an error record: %s", line)
		}
		for _, f := range r.Findings {
			hits = append(hits, fmt.Sprintf("%s:%d:%s", filepath.Join(r.Root, r.Path), f.Line, strings.TrimPrefix(f.Rule, tool+"/")))
		}
	}
	slices.Sort(hits)
	return hits
}

// pythonTree copies five packages of the standard library of the python3
// on PATH into a temporary tree.
func pythonTree(b *testing.B) string {
	out, err := exec.Command("python3", "-c", "import json, os; print(os.path.dirname(os.path.dirname(json.__file__)))").Output()
	if err != nil {
		b.Skip("skipped: no python3 to copy a tree from:", err)
	}
	lib, root := strings.TrimSpace(string(out)), b.TempDir()
	for _, pkg := range []string{"json", "email", "http", "urllib", "xml"} {
		copyTree(b, filepath.Join(lib, pkg), filepath.Join(root, pkg), func(name string) bool { return strings.HasSuffix(name, ".py") })
	}
	return root
}

// shellTree copies the shell scripts of Go's distribution into a
// temporary tree, and lists them.
func shellTree(b *testing.B) (string, []string) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("skipped: no go command to find GOROOT:", err)
	}
	root := b.TempDir()
	copyTree(b, strings.TrimSpace(string(out)), root, func(name string) bool {
		return strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".bash")
	})
	var scripts []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			scripts = append(scripts, p)
		}
		return nil
	})
	return root, scripts
}

// copyTree copies the files of from that keep says, keeping their paths.
func copyTree(b *testing.B, from, to string, keep func(string) bool) {
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() || !keep(d.Name()) || strings.Contains(p, "testdata") {
			return nil
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}
