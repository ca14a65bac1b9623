package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/worker"
)

// TestMain lets this test binary serve as the program's workers, as main
// does: the engine re-execs it, and worker.Main serves instead of running
// the tests. The todo scanner is registered in both, by main.go's init.
func TestMain(m *testing.M) {
	worker.Main()
	goleak.VerifyTestMain(m)
}

// The SARIF log is valid SARIF 2.1.0, has a result per TODO line with its
// path relative to the directory, and the exit code says there are
// findings; no worker process outlives the run.
func TestRunWritesValidSARIF(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.go", "package main\n\n// TODO: say hello\nfunc main() {} // TODO: and goodbye\n")
	write(t, dir, "docs/notes.md", "# Notes\nTODO: write them\n")
	write(t, dir, "clean.txt", "nothing to do here\n")

	var stdout, stderr bytes.Buffer
	code := run([]string{dir}, &stdout, &stderr)
	require.Equal(t, 1, code, stderr.String())
	require.Equal(t, "embed: 3 files, 3 findings, 0 errors\n", stderr.String())
	require.NoError(t, sarifschema.Validate(stdout.Bytes()))
	broken := bytes.Replace(stdout.Bytes(), []byte(`"version": "2.1.0"`), []byte(`"version": "2.0"`), 1)
	require.Error(t, sarifschema.Validate(broken), "the schema check can fail")
	require.Equal(t, []string{"docs/notes.md:2", "main.go:3", "main.go:4"}, sarifResults(t, stdout.Bytes()))
	requireNoWorkersLeft(t)
}

func TestRunExitCodes(t *testing.T) {
	clean := t.TempDir()
	write(t, clean, "a.txt", "all done\n")
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"nothing found", []string{clean}, 0},
		{"no directory", nil, 2},
		{"missing directory", []string{filepath.Join(clean, "missing")}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, c.code, run(c.args, &stdout, &stderr), stderr.String())
			if len(c.args) > 0 {
				require.NoError(t, sarifschema.Validate(stdout.Bytes()))
			}
			requireNoWorkersLeft(t)
		})
	}
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

// sarifResults returns "uri:line" of each result of the log's one run,
// sorted, after checking each is a todo.
func sarifResults(t *testing.T, log []byte) []string {
	t.Helper()
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct{ StartLine int }
					} `json:"physicalLocation"`
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(log, &sarif))
	require.Len(t, sarif.Runs, 1)
	var got []string
	for _, r := range sarif.Runs[0].Results {
		require.Equal(t, "todo", r.RuleID)
		require.Len(t, r.Locations, 1)
		loc := r.Locations[0].PhysicalLocation
		got = append(got, fmt.Sprintf("%s:%d", loc.ArtifactLocation.URI, loc.Region.StartLine))
	}
	slices.Sort(got)
	return got
}

// requireNoWorkersLeft checks /proc: this test process has no child left.
func requireNoWorkersLeft(t *testing.T) {
	t.Helper()
	left := proctest.WaitGone(proctest.Children(os.Getpid()), 3*time.Second)
	require.Empty(t, left, "worker processes outlived the run")
}
