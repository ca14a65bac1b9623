package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forkscan/forkscan/record"
)

// BenchmarkToolsVsPeers runs, per iteration and one after the other on the
// same tree (forkscan first in even iterations, second in odd ones), `forkscan scan --tool NAME` (the binary of cliCommand, its
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
		peer := func() []hit { return banditHits(b, "bandit", root) }
		compareTool(b, "bandit", root, peer)
	})
	b.Run("shellcheck", func(b *testing.B) {
		if _, err := exec.LookPath("shellcheck"); err != nil {
			b.Skip("skipped: shellcheck is not installed (apt-get install shellcheck)")
		}
		root, scripts := shellTree(b)
		peer := func() []hit { return shellcheckHits(b, "shellcheck", scripts) }
		compareTool(b, "shellcheck", root, peer)
	})
}

// compareTool times forkscan with the tool's preset against peer over
// root, b.N times each, alternating which runs first (inTurn).
func compareTool(b *testing.B, tool, root string, peer func() []hit) {
	out := filepath.Join(b.TempDir(), "out.jsonl")
	var mine, theirs time.Duration
	b.ResetTimer()
	for i := range b.N {
		var want []hit
		for _, name := range inTurn(i, "forkscan", []string{tool}) {
			start := time.Now()
			if name == tool {
				want = peer()
				theirs += time.Since(start)
				continue
			}
			cmd := cliCommand("scan", "-s", "exec", "--tool", tool, "--no-progress", "--format", "jsonl", "-o", out, root)
			if res, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() > 1 {
				b.Fatalf("forkscan: %v\n%s", err, res)
			}
			mine += time.Since(start)
		}
		got := toolHits(b, out, tool)
		if !slices.Equal(got, want) {
			b.Fatalf("forkscan found %d, %s %d: not the same findings\nforkscan: %v\n%s: %v", len(got), tool, len(want), got, tool, want)
		}
	}
	b.StopTimer()
	b.ReportMetric(mine.Seconds()/float64(b.N), "forkscan-s/op")
	b.ReportMetric(theirs.Seconds()/float64(b.N), tool+"-s/op")
	b.ReportMetric(float64(mine)/float64(theirs), "forkscan/"+tool)
}

// toolHits reads the findings of tool in a forkscan output.
func toolHits(b *testing.B, path, tool string) []hit {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var hits []hit
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r record.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			b.Fatal(err)
		}
		if r.Status == record.StatusError {
			b.Fatalf("an error record: %s", line)
		}
		for _, f := range r.Findings {
			hits = append(hits, hit{r.Name(), f.Line, strings.TrimPrefix(f.Rule, tool+"/")})
		}
	}
	return sorted(hits)
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
