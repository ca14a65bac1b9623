package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/realtool"
)

// hit is one finding as (file, line, rule): what a tool and forkscan must
// agree on.
type hit struct {
	file string
	line int
	rule string
}

// forkscanHits runs the CLI with args over root and returns its findings
// of tool, the tool's prefix taken off the rule.
func forkscanHits(t *testing.T, tool, root string, args ...string) []hit {
	t.Helper()
	code, out, errOut := cli(t, append(append([]string{"scan", "--format", "jsonl", "-w", "2"}, args...), root)...)
	require.Contains(t, []int{exitOK, exitFindings}, code, errOut)
	var hits []hit
	for _, r := range records(t, out) {
		require.NotEqual(t, "error", r.Status.String(), "%+v", r)
		for _, f := range r.Findings {
			hits = append(hits, hit{r.Name(), f.Line, strings.TrimPrefix(f.Rule, tool+"/")})
		}
	}
	return sorted(hits)
}

func sorted(hits []hit) []hit {
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line), strings.Compare(a.rule, b.rule))
	})
	return hits
}

// With the bandit preset, forkscan finds what `bandit -r` finds on the
// same tree: the same files, lines and tests, file names with spaces and
// a leading dash included.
func TestBanditPresetFindsWhatBanditFinds(t *testing.T) {
	bandit := realtool.Need(t, "bandit")
	root := t.TempDir()
	write(t, filepath.Join(root, "app.py"), "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n    return eval(cmd)\n")
	write(t, filepath.Join(root, "pkg", "db.py"), "password = 'hunter2'\nassert password\n")
	write(t, filepath.Join(root, "dir with space", "-dash.py"), "import pickle\n\ndef load(b):\n    return pickle.loads(b)\n")
	write(t, filepath.Join(root, "clean.py"), "def add(a, b):\n    return a + b\n")
	write(t, filepath.Join(root, "notes.txt"), "eval(x)\n")

	want := banditHits(t, bandit, root)
	require.GreaterOrEqual(t, len(want), 5, "the tree gives bandit something to find")
	require.Equal(t, sorted(want), forkscanHits(t, "bandit", root, "-s", "exec", "--tool", "bandit"))
}

// With the shellcheck preset, forkscan finds what shellcheck -f json1
// finds over the same files: shell scripts by extension and by shebang.
func TestShellcheckPresetFindsWhatShellcheckFinds(t *testing.T) {
	shellcheck := realtool.Need(t, "shellcheck")
	root := t.TempDir()
	write(t, filepath.Join(root, "build.sh"), "#!/bin/sh\nrm -rf $1/*\necho `date`\n")
	write(t, filepath.Join(root, "bin", "deploy"), "#!/usr/bin/env bash\nfor f in $(ls); do echo $f; done\n")
	write(t, filepath.Join(root, "bin", "tool.py"), "#!/usr/bin/env python3\nprint('not shell')\n")
	write(t, filepath.Join(root, "README"), "cd $HOME\n")

	scripts := []string{filepath.Join(root, "build.sh"), filepath.Join(root, "bin", "deploy")}
	want := shellcheckHits(t, shellcheck, scripts)
	require.GreaterOrEqual(t, len(want), 3)
	require.Equal(t, sorted(want), forkscanHits(t, "shellcheck", root, "-s", "exec", "--tool", "shellcheck"))
}

// banditHits runs `bandit -r` over root, as its users run it, and
// returns its findings.
func banditHits(tb testing.TB, bandit, root string) []hit {
	tb.Helper()
	var report struct {
		Results []struct {
			Filename string `json:"filename"`
			Line     int    `json:"line_number"`
			TestID   string `json:"test_id"`
		} `json:"results"`
	}
	toolReport(tb, exec.Command(bandit, "-q", "-r", "-f", "json", root), &report)
	var hits []hit
	for _, r := range report.Results {
		hits = append(hits, hit{r.Filename, r.Line, r.TestID})
	}
	return sorted(hits)
}

// shellcheckHits runs one shellcheck over scripts and returns its
// findings.
func shellcheckHits(tb testing.TB, shellcheck string, scripts []string) []hit {
	tb.Helper()
	var report struct {
		Comments []struct {
			File string `json:"file"`
			Line int    `json:"line"`
			Code int    `json:"code"`
		} `json:"comments"`
	}
	toolReport(tb, exec.Command(shellcheck, append([]string{"-f", "json1"}, scripts...)...), &report)
	var hits []hit
	for _, c := range report.Comments {
		hits = append(hits, hit{c.File, c.Line, fmt.Sprintf("SC%d", c.Code)})
	}
	return sorted(hits)
}

// toolReport runs cmd, a tool that exits 1 when it found something, and
// decodes the JSON it printed into report.
func toolReport(tb testing.TB, cmd *exec.Cmd, report any) {
	tb.Helper()
	out, err := cmd.Output()
	if e, ok := err.(*exec.ExitError); ok && e.ExitCode() == 1 {
		err = nil
	}
	if err == nil {
		err = json.Unmarshal(out, report)
	}
	if err != nil {
		tb.Fatalf("%s: %v", cmd, err)
	}
}
