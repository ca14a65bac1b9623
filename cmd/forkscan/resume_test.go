package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// resumeTree is a small tree and a finished run of it with two scanners.
func resumeTree(t *testing.T) (root, out string) {
	t.Helper()
	root = t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "alpha\n")
	write(t, filepath.Join(root, "b.txt"), "a SECRET\n")
	write(t, filepath.Join(root, "sub", "c.txt"), "gamma\n")
	out = filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut := cli(t, "scan", "-s", "inventory", "-s", "flagger", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	return root, out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestResumeSkipsWhatIsDoneAndRedoesWhatChanged(t *testing.T) {
	root, out := resumeTree(t)
	first := records(t, readFile(t, out))
	write(t, filepath.Join(root, "sub", "c.txt"), "gamma, changed\n")
	write(t, filepath.Join(root, "d.txt"), "new\n")

	code, _, errOut := cli(t, "scan", "-s", "inventory", "-s", "flagger", "--resume", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	require.Contains(t, errOut, "kept 4 records of 2 files (2 files not scanned again, 1 finding), dropped 2 records to redo")
	lines := strings.Split(errOut, "\n")
	require.Equal(t, "forkscan: "+out+" holds 4 files, 8 results (8 ok, 0 error, 0 skipped), 1 finding (4 kept, 4 new)", lines[0],
		"the whole output first: the records kept and this run's")
	require.True(t, strings.HasPrefix(lines[1], "forkscan: this run: 2 files, 4 results (4 ok, 0 error, 0 skipped), 0 findings; "), "this run's next\n%s", errOut)
	got := records(t, readFile(t, out)) // no (path, scanner) twice
	require.Len(t, got, 8)
	require.Equal(t, first["a.txt|inventory"], got["a.txt|inventory"], "a done record is kept as it was")
	require.NotEqual(t, first["sub/c.txt|inventory"].SHA256, got["sub/c.txt|inventory"].SHA256, "a changed file is scanned again")
	require.Contains(t, got, "d.txt|flagger")
}

func TestResumeNarrowsToTheScannersLeft(t *testing.T) {
	root, out := resumeTree(t)
	code, _, errOut := cli(t, "scan", "-s", "inventory", "-s", "flagger", "-s", "sluggish", "--resume", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	require.Contains(t, errOut, "forkscan: "+out+" holds 3 files, 9 results (9 ok, 0 error, 0 skipped), 1 finding (6 kept, 3 new)\n")
	require.Contains(t, errOut, "forkscan: this run: 3 files, 3 results", "only the new scanner ran")
	require.Len(t, records(t, readFile(t, out)), 9)
}

func TestResumeReportsBadLinesAndKeepsTheGoodOnes(t *testing.T) {
	root, out := resumeTree(t)
	good := readFile(t, out)
	lines := strings.SplitAfter(strings.TrimSpace(good), "\n")
	bad := "this is not JSON\n" + lines[0] + "{\"json\": \"but not a record\"}\n" + strings.Join(lines[1:], "") +
		"\n" + lines[0][:len(lines[0])/2] // a last line cut short, as by a crash
	require.NoError(t, os.WriteFile(out, []byte(bad), 0o644))

	code, _, errOut := cli(t, "scan", "-s", "inventory", "-s", "flagger", "--resume", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	require.Contains(t, errOut, "out.jsonl:1: not a JSON record")
	require.Contains(t, errOut, "out.jsonl:3: not a forkscan record")
	require.Contains(t, errOut, "the last line is cut short")
	require.Contains(t, errOut, "kept 6 records of 3 files")
	require.Contains(t, errOut, "ignored 3 lines that were not records")
	require.Equal(t, records(t, good), records(t, readFile(t, out)), "the good records, each once, and nothing else")
}

func TestResumeOfAnotherRoot(t *testing.T) {
	root, out := resumeTree(t)
	moved := filepath.Join(t.TempDir(), "moved")
	require.NoError(t, os.Rename(root, moved))

	code, _, errOut := cli(t, "scan", "-s", "inventory", "-s", "flagger", "--resume", "-o", out, moved)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "written for a different root: it has records of "+root+", and this run scans "+moved+" (--force")

	code, _, errOut = cli(t, "scan", "-s", "inventory", "-s", "flagger", "--resume", "--force", "-o", out, moved)
	require.Equal(t, exitFindings, code, errOut)
	require.Contains(t, errOut, "kept 6 records of 3 files (3 files not scanned again, 1 finding)", "a moved tree is taken as the same tree")
	for _, r := range records(t, readFile(t, out)) {
		require.Equal(t, moved, r.Root)
	}
}

func TestResumeFlags(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"scan", "--resume", root}, "--resume needs --output FILE"},
		{[]string{"scan", "--resume", "-o", "-", root}, "--resume needs --output FILE"},
		{[]string{"scan", "--resume", "--format", "text", "-o", "x", root}, "--resume works on jsonl"},
		{[]string{"scan", "--force", root}, "--force only means something with --resume"},
		{[]string{"scan", "--grace", "-1s", root}, "--grace must not be negative"},
	}
	for _, c := range cases {
		code, _, errOut := cli(t, c.args...)
		require.Equal(t, exitUsage, code, "%v", c.args)
		require.Contains(t, errOut, c.says)
	}
}

func TestResumeOfNoFileIsAFreshRun(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "alpha\n")
	out := filepath.Join(t.TempDir(), "new.jsonl")
	code, _, errOut := cli(t, "scan", "--resume", "-o", out, root)
	require.Equal(t, exitOK, code, errOut)
	require.Len(t, records(t, readFile(t, out)), 1)
}
