package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// script writes an executable shell script for a test and returns its path.
func script(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}

func TestExecScanner(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "alpha\n")
	write(t, filepath.Join(root, "b.txt"), "beta\n")
	jsonTool := script(t, "lint", `echo "{\"results\":[{\"rule_id\":\"L1\",\"line\":2,\"message\":\"$(basename "$2")\"}]}"`)
	failing := script(t, "broken", `echo "no licence" >&2; exit 3`)

	code, out, errOut := cli(t, "scan", "--exec-cmd", jsonTool+" --json {}", "--exec-json", root)
	require.Equal(t, exitFindings, code, errOut)
	got := records(t, out)
	require.Len(t, got, 4, "secrets and exec: exec joins the default scanners when a tool is given")
	require.Equal(t, "lint/L1", got["a.txt|exec"].Findings[0].Rule)
	require.Equal(t, "b.txt", got["b.txt|exec"].Findings[0].Message)

	code, out, errOut = cli(t, "scan", "-s", "exec", "--exec-cmd", failing+" {}", root)
	require.Equal(t, exitFailures, code, errOut)
	rec := records(t, out)["a.txt|exec"]
	require.Equal(t, "TOOL_ERROR", rec.Error.Category.String())
	require.Contains(t, rec.Error.Message, "exited with status 3: no licence")
	require.Equal(t, 1, rec.Attempts, "an exit status is not retried")

	code, out, errOut = cli(t, "scan", "-s", "exec", "--exec-cmd", "forkscan-missing-tool {}", root)
	require.Equal(t, exitFailures, code, errOut)
	require.Equal(t, "TOOL_NOT_FOUND", records(t, out)["a.txt|exec"].Error.Category.String())
}

func TestBadExecFlags(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"no placeholder", []string{"--exec-cmd", "semgrep --json"}, `--exec-cmd: INVALID_INPUT: exec: tool "semgrep": "semgrep --json": no "{}" placeholder`},
		{"unbalanced quote", []string{"--exec-cmd", "tool '{}"}, "--exec-cmd"},
		{"exec without a tool", []string{"-s", "exec"}, "no tool configured"},
		{"tool without exec", []string{"-s", "inventory", "--exec-cmd", "tool {}"}, "need the exec scanner"},
		{"semgrep without its rules", []string{"--tool", "semgrep"}, "--tool semgrep=VALUE"},
		{"a value for a tool that takes none", []string{"--tool", "bandit=rules.yml"}, `tool "bandit" takes no value`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, append(append([]string{"scan"}, c.args...), root)...)
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, c.says)
		})
	}
}

// TestExecLimitHoldsAcrossWorkers: with --limit exec:TOOL=1, two worker
// processes of two tasks each never run a tool that takes one file per
// run twice at once. The tool takes a lock directory for its run and
// records any run that finds it taken; without the limit, runs do overlap
// (the control: the four tasks run the files side by side).
func TestExecLimitHoldsAcrossWorkers(t *testing.T) {
	root := t.TempDir()
	for i := range 24 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), "x\n")
	}
	state := t.TempDir()
	tool := script(t, "exclusive", fmt.Sprintf(`
if mkdir %[1]s/held 2>/dev/null; then
  sleep 0.02; rmdir %[1]s/held
else
  echo overlap >> %[1]s/overlaps; sleep 0.02
fi`, state))
	overlaps := func() int {
		b, _ := os.ReadFile(filepath.Join(state, "overlaps"))
		_ = os.Remove(filepath.Join(state, "overlaps"))
		return strings.Count(string(b), "overlap")
	}
	args := []string{"scan", "-s", "exec", "-w", "2", "--tasks", "2", "--exec-cmd", tool + " {}", "--exec-per-file"}
	code, _, errOut := cli(t, append(args, "--limit", "exec:exclusive=1", root)...)
	require.Equal(t, exitOK, code, errOut)
	require.Zero(t, overlaps(), "the limit of one holds across processes")
	require.Contains(t, errOut, "semaphore exec:exclusive: capacity 1, peak 1")

	code, _, errOut = cli(t, append(args, root)...)
	require.Equal(t, exitOK, code, errOut)
	require.Positive(t, overlaps(), "without the limit, four tasks do overlap")
}

// A tool that takes many files gets them in batches, spread over every
// worker, and each file still gets exactly one record with its findings.
// (The tool logs the pid of the worker that ran it and how many files it
// was given; how long anything took is not checked. It takes a second a
// run, so that the first worker ready cannot have run everything before
// the second is.)
func TestExecBatchesSpreadOverWorkers(t *testing.T) {
	root := t.TempDir()
	for i := range 60 {
		body := "plain\n"
		if i%3 == 0 {
			body = "FIND me\n"
		}
		write(t, filepath.Join(root, fmt.Sprintf("dir%d", i%4), fmt.Sprintf("f%02d.txt", i)), body)
	}
	log := filepath.Join(t.TempDir(), "runs.log")
	tool := script(t, "finder", `echo "$PPID $#" >> "`+log+`"
sleep 1
sep=""; printf '['
for f in "$@"; do
  grep -q FIND "$f" && { printf '%s{"filename":"%s","line":1,"rule":"find"}' "$sep" "$f"; sep=","; }
done
printf ']'`)
	code, out, errOut := cli(t, "scan", "-s", "exec", "-w", "2", "--tasks", "2", "--exec-cmd", tool+" {}", "--exec-format", "json", root)
	require.Equal(t, exitFindings, code, errOut)
	got := records(t, out)
	require.Len(t, got, 60)
	for key, r := range got {
		require.Equal(t, "ok", r.Status.String(), key)
	}
	findings := 0
	for _, r := range got {
		findings += len(r.Findings)
	}
	require.Equal(t, 20, findings)

	data, err := os.ReadFile(log)
	require.NoError(t, err)
	workers, files, most := map[string]bool{}, 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var pid string
		var n int
		_, err := fmt.Sscan(line, &pid, &n)
		require.NoError(t, err)
		workers[pid] = true
		files += n
		most = max(most, n)
	}
	require.Equal(t, 60, files, "each file in exactly one run")
	require.Greater(t, most, 4, "runs of many files")
	require.Len(t, workers, 2, "batches on every worker")
}
