// Package githubactions holds no code: its test checks the example
// workflow, forkscan-shards.yml. actionlint lints it (with shellcheck on
// its scripts where shellcheck is installed), and the test checks that the
// pieces fit: the matrix and --shard, the artifacts uploaded and the
// pattern that downloads them, the files the shards write and the glob the
// merge reads, the merge's log and the SARIF upload. It runs the steps'
// scripts with stand-ins for go and forkscan to see what they do with
// forkscan's exit codes.
package githubactions

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/examples/internal/standin"
	"github.com/forkscan/forkscan/internal/realtool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const file = "forkscan-shards.yml"

// lint returns what actionlint finds in a workflow: syntax, expressions,
// job needs, the inputs of the actions it knows, and, where shellcheck is
// installed, the run scripts.
func lint(t *testing.T, workflow []byte) []*actionlint.Error {
	t.Helper()
	opts := &actionlint.LinterOptions{}
	if path, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = path
	} else if os.Getenv(realtool.Env) != "" {
		t.Fatal("shellcheck is not installed, and " + realtool.Env + " says it must be")
	} else {
		t.Log("shellcheck is not installed: the run scripts are not checked (apt-get install shellcheck)")
	}
	linter, err := actionlint.NewLinter(io.Discard, opts)
	require.NoError(t, err)
	errs, err := linter.Lint(file, workflow, nil)
	require.NoError(t, err)
	return errs
}

func TestWorkflowLints(t *testing.T) {
	workflow, err := os.ReadFile(file)
	require.NoError(t, err)
	var found []string
	for _, e := range lint(t, workflow) {
		found = append(found, e.Error())
	}
	require.Empty(t, found)

	// The linter does find what is wrong: a job that needs one that is not
	// there, an input upload-artifact does not have.
	broken := strings.Replace(string(workflow), "needs: scan", "needs: scann", 1)
	broken = strings.Replace(broken, "if-no-files-found:", "if-no-file-found:", 1)
	require.Len(t, lint(t, []byte(broken)), 2)
}

// workflow is the parsed workflow, with helpers to find its parts.
type workflow struct{ *actionlint.Workflow }

func parse(t *testing.T) workflow {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	w, errs := actionlint.Parse(data)
	require.Empty(t, errs)
	return workflow{w}
}

func (w workflow) job(t *testing.T, id string) *actionlint.Job {
	t.Helper()
	job := w.Jobs[id]
	require.NotNil(t, job, "no job %s", id)
	return job
}

// action returns the inputs of the one step of job that uses action (at
// any version), by name.
func action(t *testing.T, job *actionlint.Job, action string) map[string]string {
	t.Helper()
	var inputs map[string]string
	for _, s := range job.Steps {
		if a, ok := s.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(a.Uses.Value, action+"@") {
			require.Nil(t, inputs, "%s: %s used twice", job.ID.Value, action)
			inputs = map[string]string{}
			for _, in := range a.Inputs {
				inputs[in.Name.Value] = in.Value.Value
			}
		}
	}
	require.NotNil(t, inputs, "%s: no step uses %s", job.ID.Value, action)
	return inputs
}

// step returns the one step of job whose script says text.
func step(t *testing.T, job *actionlint.Job, text string) *actionlint.Step {
	t.Helper()
	var found *actionlint.Step
	for _, s := range job.Steps {
		if r, ok := s.Exec.(*actionlint.ExecRun); ok && strings.Contains(r.Run.Value, text) {
			require.Nil(t, found, "%s: two steps run %q", job.ID.Value, text)
			found = s
		}
	}
	require.NotNil(t, found, "%s: no step runs %q", job.ID.Value, text)
	return found
}

// shards returns the values of the scan job's matrix.
func (w workflow) shards(t *testing.T) []string {
	t.Helper()
	scan := w.job(t, "scan")
	require.NotNil(t, scan.Strategy)
	require.NotNil(t, scan.Strategy.Matrix)
	rows := scan.Strategy.Matrix.Rows
	require.Len(t, rows, 1, "the matrix is the shard alone")
	require.Contains(t, rows, "shard")
	var shards []string
	for _, v := range rows["shard"].Values {
		s, ok := v.(*actionlint.RawYAMLString)
		require.True(t, ok, "shard %v", v)
		shards = append(shards, s.Value)
	}
	return shards
}

// The shape that holds the run together: shards 1 to N, a merge that
// waits for all of them, and the permissions the SARIF upload needs.
func TestWorkflowShape(t *testing.T) {
	w := parse(t)
	shards := w.shards(t)
	require.Greater(t, len(shards), 1)
	for i, s := range shards {
		require.Equal(t, strconv.Itoa(i+1), s, "the shards are 1 to N")
	}
	scan, merge := w.job(t, "scan"), w.job(t, "merge")
	require.NotNil(t, scan.Strategy.FailFast)
	require.False(t, scan.Strategy.FailFast.Value, "one shard's failure does not cancel the others")
	var needs []string
	for _, n := range merge.Needs {
		needs = append(needs, n.Value)
	}
	require.Equal(t, []string{"scan"}, needs)
	require.Nil(t, merge.Strategy)

	require.NotNil(t, merge.Permissions)
	require.Contains(t, merge.Permissions.Scopes, "security-events")
	require.Equal(t, "write", merge.Permissions.Scopes["security-events"].Value.Value)
	require.NotNil(t, w.Permissions, "the workflow's token reads, no more, unless a job says so")
	require.Equal(t, "read", w.Permissions.Scopes["contents"].Value.Value)

	// The SARIF is uploaded even when the merge step fails on findings.
	for _, s := range merge.Steps {
		if a, ok := s.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(a.Uses.Value, "github/codeql-action/upload-sarif@") {
			require.NotNil(t, s.If, "upload-sarif runs after a failed merge step")
			require.Contains(t, s.If.Value, "!cancelled()")
			require.Contains(t, s.If.Value, "hashFiles('"+action(t, merge, "github/codeql-action/upload-sarif")["sarif_file"]+"')",
				"and only when the merge wrote a log")
		}
	}
}

// expand replaces the expressions of a run script as GitHub does before
// the script runs: matrix.shard by the shard, and no other.
func expand(t *testing.T, script, shard string) string {
	t.Helper()
	script = strings.ReplaceAll(script, "${{ matrix.shard }}", shard)
	require.NotContains(t, script, "${{", "an expression the test does not know")
	return script
}

// stub is a stand-in for a tool on PATH (go, forkscan): it notes each
// call's name and arguments, writes the file -o names, and exits with
// STUB_EXIT.
const stub = `#!/bin/sh
{ basename "$0"; printf '%s\n' "$@"; echo; } >> "$STUB_LOG"
out=
while [ $# -gt 0 ]; do
	if [ "$1" = -o ]; then out=$2; fi
	shift
done
if [ -n "$out" ]; then echo '{"type":"shard"}' > "$out"; fi
exit "${STUB_EXIT:-0}"
`

// sandbox is a workspace beside the stand-ins (go, forkscan).
type sandbox struct {
	standin.Dir
	dir string // the workspace
}

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	s := sandbox{Dir: standin.New(t, stub, "go", "forkscan")}
	s.dir = filepath.Join(s.Root, "workspace")
	require.NoError(t, os.Mkdir(s.dir, 0o755))
	return s
}

// run runs a step's script as GitHub runs a run step with no shell named
// on Linux (bash -e), in the workspace, and returns the exit code and the
// calls of the stand-ins (name first).
func (s sandbox) run(t *testing.T, script string, env ...string) (int, [][]string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-c", script)
	cmd.Dir = s.dir
	cmd.Env = s.Env(s.dir, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err, "%s", out)
	}
	return code, s.Calls(t)
}

// One run of the workflow, job by job, with the stand-ins: forkscan is
// installed from this module, with the fast regexp engine; shard I of N
// scans the checkout into a file of its own and uploads it under a name
// the merge's download pattern takes; the merge is given every shard's
// file and writes the log upload-sarif sends. Findings pass a shard and
// fail the merge, which is the gate.
func TestWorkflowRuns(t *testing.T) {
	realtool.Need(t, "bash")
	w := parse(t)
	shards := w.shards(t)
	scan, merge := w.job(t, "scan"), w.job(t, "merge")
	version := ""
	for _, v := range w.Env.Vars {
		if v.Name.Value == "FORKSCAN_VERSION" {
			version = v.Value.Value
		}
	}
	require.NotEmpty(t, version, "the workflow's env names the version of forkscan")
	checkout := action(t, scan, "actions/checkout")["path"]
	require.Equal(t, checkout, action(t, merge, "actions/checkout")["path"])
	require.NotEmpty(t, checkout, "the output is written beside the checkout, not in it")
	for _, job := range []*actionlint.Job{scan, merge} {
		require.NotEmpty(t, action(t, job, "actions/setup-go")["go-version"])
	}

	s := newSandbox(t)
	module := modulePath(t)
	for _, job := range []*actionlint.Job{scan, merge} {
		install := step(t, job, "go install").Exec.(*actionlint.ExecRun).Run.Value
		code, calls := s.run(t, install, "FORKSCAN_VERSION="+version)
		require.Equal(t, 0, code)
		require.Equal(t, [][]string{{"go", "install", module + "/cmd/forkscan@" + version}}, calls)
	}
	_, err := os.Stat(filepath.Join("..", "..", "cmd", "forkscan"))
	require.NoError(t, err, "the command installed is this module's")

	download := action(t, merge, "actions/download-artifact")
	require.Equal(t, "true", download["merge-multiple"], "every shard's file lands in one directory")
	require.Empty(t, download["path"], "they land in the workspace, where the merge reads them")
	var outputs []string
	for _, shard := range shards {
		script := expand(t, step(t, scan, "forkscan scan").Exec.(*actionlint.ExecRun).Run.Value, shard)
		code, calls := s.run(t, script, "STUB_EXIT=1")
		require.Equal(t, 0, code, "findings (exit 1) pass the shard")
		require.Len(t, calls, 1)
		args := calls[0]
		require.Equal(t, []string{"forkscan", "scan"}, args[:2])
		require.Equal(t, fmt.Sprintf("%s/%d", shard, len(shards)), standin.Flag(t, args, "--shard"))
		require.Equal(t, checkout, args[len(args)-1], "the shard scans the checkout")
		output := standin.Flag(t, args, "-o")
		require.NotContains(t, outputs, output, "each shard writes a file of its own")
		require.False(t, strings.HasPrefix(path.Clean(output), path.Clean(checkout)+"/"), "the output is not in the tree it is a shard of")
		outputs = append(outputs, output)

		upload := action(t, scan, "actions/upload-artifact")
		require.Equal(t, output, expand(t, upload["path"], shard), "the shard uploads its output")
		require.Equal(t, "error", upload["if-no-files-found"])
		name := expand(t, upload["name"], shard)
		match, err := path.Match(download["pattern"], name)
		require.NoError(t, err)
		require.True(t, match, "the merge downloads artifact %s", name)

		for exit, fails := range map[int]bool{0: false, 2: true, 3: true, 4: true, 130: true} {
			code, _ := s.run(t, script, "STUB_EXIT="+strconv.Itoa(exit))
			require.Equal(t, fails, code != 0, "scan exit %d", exit)
		}
	}
	// Other jobs' artifacts are not downloaded.
	match, err := path.Match(download["pattern"], "coverage")
	require.NoError(t, err)
	require.False(t, match)

	script := step(t, merge, "forkscan merge").Exec.(*actionlint.ExecRun).Run.Value
	code, calls := s.run(t, script)
	require.Equal(t, 0, code)
	require.Len(t, calls, 1)
	args := calls[0]
	require.Equal(t, []string{"forkscan", "merge"}, args[:2])
	require.Equal(t, "sarif", standin.Flag(t, args, "--format"))
	require.Equal(t, action(t, merge, "github/codeql-action/upload-sarif")["sarif_file"], standin.Flag(t, args, "-o"))
	slices.Sort(outputs)
	require.Equal(t, outputs, args[len(args)-len(shards):], "the merge is given every shard's file")
	require.NotContains(t, args[:len(args)-len(shards)], outputs[0])
	for exit, fails := range map[int]bool{1: true, 2: true, 3: true} {
		code, _ := s.run(t, script, "STUB_EXIT="+strconv.Itoa(exit))
		require.Equal(t, fails, code != 0, "merge exit %d fails the job", exit)
	}
}

// modulePath reads this module's path from its go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}
