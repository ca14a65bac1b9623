package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/worker/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the tests print")

// linty is a test-only scanner that reports as a linter such as bandit
// does: on a .py file, a finding per import among its first lines, whose
// match is a snippet of numbered lines; on broken.py, an error.
func init() {
	scan.Register(scan.Def{Name: "linty", Content: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(_ context.Context, f *scan.File) (scan.Report, error) {
			switch {
			case filepath.Base(f.Path) == "broken.py":
				return scan.Report{}, scan.Errorf(scan.InvalidInput, "linty: cannot parse broken.py: line 1: unexpected indent")
			case !strings.HasSuffix(f.Path, ".py"):
				return scan.Report{}, nil
			}
			lines := strings.SplitAfter(string(f.Data), "\n")[:2]
			snippet := fmt.Sprintf("1 %s2 %s", lines[0], lines[1])
			var rep scan.Report
			for i, l := range lines {
				if mod, ok := strings.CutPrefix(strings.TrimSpace(l), "import "); ok {
					rep.Findings = append(rep.Findings, scan.Finding{Rule: "linty/import-" + mod, Line: i + 1, Severity: "low",
						Message: "imports " + mod + ", which can run other programs", Match: snippet})
				}
			}
			return rep, nil
		}), nil
	}})
}

// goldenTree writes under dir the tree the golden tests scan: two roots,
// a and b, each with a client.py, secrets in both (planted with a fixed
// seed: the same every run), a private key and a file linty cannot parse.
// Every file has a size of its own, so that one worker deals them in one
// order.
func goldenTree(t *testing.T, dir string) {
	t.Helper()
	s := plant(rand.New(rand.NewPCG(26, 2)))
	write(t, filepath.Join(dir, "a", "client.py"), fmt.Sprintf("import os\nimport subprocess\n\npypi = %q\naws_key = %q  # for the uploads\n", s["pypi-upload-token"], s["aws-access-token"]))
	write(t, filepath.Join(dir, "a", "README.md"), "# a\n")
	write(t, filepath.Join(dir, "b", "client.py"), fmt.Sprintf("import os\nimport sys\ntoken = %q\n", s["github-pat"]))
	write(t, filepath.Join(dir, "b", "deploy", "id_rsa"), s["private-key"]+"\n")
	write(t, filepath.Join(dir, "b", "broken.py"), "  x = 1\n")
}

// goldenArgs are the arguments of the golden runs: one worker, one task,
// so that files complete in one order.
var goldenArgs = []string{"scan", "-s", "secrets", "-s", "linty", "-w", "1", "--tasks", "1"}

// took is the time a summary line ends with.
var took = regexp.MustCompile(`(?m); [0-9][0-9.hmµns]*$`)

// inOrder is text with its files' blocks sorted: a file's block is
// printed when its last record comes in, and the walk, running beside the
// worker, may find a large file after the worker took a small one.
func inOrder(text string) string {
	lines := strings.SplitAfter(text, "\n")
	var blocks []string
	i := 1 // after the command line
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "forkscan: ") && !strings.HasPrefix(lines[i], "--- "); i++ {
		if strings.HasPrefix(lines[i], " ") {
			blocks[len(blocks)-1] += lines[i]
		} else {
			blocks = append(blocks, lines[i])
		}
	}
	slices.Sort(blocks)
	return lines[0] + strings.Join(blocks, "") + strings.Join(lines[i:], "")
}

// requireGolden compares got, its times made TIME and its blocks sorted,
// with testdata/name, which -update writes instead.
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	got = inOrder(took.ReplaceAllString(got, "; TIME"))
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test -run %s -update writes it", t.Name())
	require.Equal(t, string(want), got, "testdata/%s (go test -run %s -update rewrites it)", name, t.Name())
}

// The text format into a pipe (--format text): what a person reads of a
// scan of two roots, its findings and its errors, and the summary.
func TestGoldenTextIntoAPipe(t *testing.T) {
	dir := t.TempDir()
	goldenTree(t, dir)
	args := append(append([]string{}, goldenArgs...), "--format", "text", "a", "b")
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0", "CI=", "NO_COLOR=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v\n%s", err, stderr.String())
	require.NotContains(t, stdout.String(), "\x1b[", "no colour into a pipe")
	requireGolden(t, "text-pipe.golden", fmt.Sprintf("$ forkscan %s\n%s--- stderr\n%s--- exit %d\n",
		strings.Join(args, " "), stdout.String(), stderr.String(), exit.ExitCode()))
}

// The same scan on a terminal, as a person at one sees it: text with no
// --format, in colour, the summary after it.
func TestGoldenTextOnATerminal(t *testing.T) {
	dir := t.TempDir()
	goldenTree(t, dir)
	args := append(append([]string{}, goldenArgs...), "--no-progress", "a", "b")
	out, code := onTerminalIn(t, dir, []string{"NO_COLOR="}, args...)
	require.Contains(t, out, "\x1b[1ma/client.py\x1b[0m", "colour on a terminal")
	requireGolden(t, "text-terminal.golden", fmt.Sprintf("$ forkscan %s\n%s--- exit %d\n", strings.Join(args, " "), out, code))
}
