package external_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// jsonToolEnv makes the test binary a tool (see jsonTool) instead of
// running the tests.
const jsonToolEnv = "FORKSCAN_TEST_JSON_TOOL"

func TestMain(m *testing.M) {
	if log := os.Getenv(jsonToolEnv); log != "" {
		jsonTool(log, os.Args[1:])
		return
	}
	goleak.VerifyTestMain(m)
}

// jsonTool is a tool that prints its findings as tools do, with a JSON
// encoder: a finding for each file it is given, its name escaped (a
// newline as \n, each byte that is not UTF-8 as U+FFFD, as Go, Python's
// json module and Node print them). It logs how many files it was given
// to log.
func jsonTool(log string, files []string) {
	type finding struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
		Rule     string `json:"rule"`
	}
	var out []finding
	for _, f := range files {
		out = append(out, finding{f, 1, "named"})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, _ = fmt.Fprintf(f, "%d %d\n", os.Getppid(), len(files))
		_ = f.Close()
	}
}

// script writes an executable shell script and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}

func build(t *testing.T, tools ...external.Tool) scan.Scanner {
	t.Helper()
	def, ok := scan.Lookup(external.Name)
	require.True(t, ok)
	sc, err := def.Build(external.Options{Tools: tools}.Encode())
	require.NoError(t, err)
	return sc
}

func TestToolsEndInTheirCategory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.py")
	require.NoError(t, os.WriteFile(target, []byte("x = 1\n"), 0o644))
	cases := []struct {
		name     string
		tool     external.Tool
		category scan.Category // 0: ok
		says     string        // in the error message, or the first finding's rule
		findings int
	}{
		{"json findings", external.Tool{JSON: true, Command: []string{script(t, dir, "json.sh",
			`echo '{"results":[{"check_id":"py.eval","start":{"line":3},"extra":{"message":"eval of input","severity":"ERROR"}},{"test_id":"B105","line_number":7,"issue_text":"hardcoded password"}]}'`), "{}"}},
			0, "json.sh/py.eval", 2},
		{"json lines", external.Tool{JSON: true, Command: []string{script(t, dir, "lines.sh",
			`echo '{"DetectorName":"AWS","line":1}'; echo '{"DetectorName":"Slack","line":2}'`), "{}"}}, 0, "lines.sh/AWS", 2},
		{"no output is no findings", external.Tool{JSON: true, Command: []string{script(t, dir, "quiet.sh", `exit 0`), "{}"}}, 0, "", 0},
		{"plain output is data", external.Tool{Command: []string{script(t, dir, "plain.sh", `echo "looked at $1"`), "{}"}}, 0, "", 0},
		{"exit 1", external.Tool{Command: []string{script(t, dir, "fails.sh", `echo "cannot parse $1" >&2; exit 1`), "{}"}},
			scan.ToolError, "exited with status 1: cannot parse", 0},
		{"exit 1 allowed", external.Tool{OKExit: []int{0, 1}, JSON: true, Command: []string{script(t, dir, "found.sh",
			`echo '[{"rule":"r1","line":1}]'; exit 1`), "{}"}}, 0, "found.sh/r1", 1},
		{"invalid JSON", external.Tool{JSON: true, Command: []string{script(t, dir, "garbage.sh", `echo 'Traceback (most recent call last): oops'`), "{}"}},
			scan.ToolError, `first bytes: "Traceback (most recent call last): oops`, 0},
		{"not found", external.Tool{Command: []string{"forkscan-no-such-tool", "{}"}}, scan.ToolNotFound, "not found", 0},
		{"not found, how to install it", external.Tool{Command: []string{"forkscan-no-such-tool", "{}"}, Install: "apt-get install it"},
			scan.ToolNotFound, `"forkscan-no-such-tool" not found: exec: "forkscan-no-such-tool": executable file not found in $PATH; to install it: apt-get install it`, 0},
		{"not executable", external.Tool{Command: []string{target, "{}"}}, scan.PermissionDenied, "cannot be run", 0},
		{"killed by a signal", external.Tool{Command: []string{script(t, dir, "crash.sh", `kill -SEGV $$`), "{}"}},
			scan.ProcessCrash, "killed by signal", 0},
		{"hangs", external.Tool{Timeout: 200 * time.Millisecond, Command: []string{script(t, dir, "hang.sh", `sleep 60`), "{}"}},
			scan.Timeout, "ran past its timeout", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := build(t, c.tool).Scan(context.Background(), &scan.File{Path: target})
			if c.category == 0 {
				require.NoError(t, err)
				require.Len(t, rep.Findings, c.findings)
				if c.findings > 0 {
					require.Equal(t, c.says, rep.Findings[0].Rule)
				}
				return
			}
			require.ErrorIs(t, err, c.category, "%v", err)
			require.Contains(t, err.Error(), c.says)
		})
	}
}

func TestJSONFieldsAndData(t *testing.T) {
	dir := t.TempDir()
	tool := external.Tool{Name: "semgrep", JSON: true, Command: []string{script(t, dir, "s.sh",
		`echo '{"results":[{"check_id":"py.eval","start":{"line":3,"col":5},"end":{"line":4},"extra":{"message":"eval","severity":"ERROR","lines":"eval(x)"}}]}'`), "--json", "{}"}}
	plain := external.Tool{Name: "wc", Command: []string{"wc", "-c", "{}"}}
	target := filepath.Join(dir, "a.py")
	require.NoError(t, os.WriteFile(target, []byte("12345\n"), 0o644))
	rep, err := build(t, tool, plain).Scan(context.Background(), &scan.File{Path: target})
	require.NoError(t, err)
	require.Equal(t, []scan.Finding{{Rule: "semgrep/py.eval", Message: "eval", Line: 3, Column: 5, EndLine: 4, Severity: "error", Match: "eval(x)"}}, rep.Findings)
	data, err := json.Marshal(rep.Data)
	require.NoError(t, err)
	require.Contains(t, string(data), `"wc":{"exit":0,"stdout":"6 `+target)
}

func TestIncludeSkipsOtherFiles(t *testing.T) {
	sc := build(t, external.Tool{Include: []string{"*.py"}, Command: []string{"true", "{}"}})
	_, err := sc.Scan(context.Background(), &scan.File{Path: "/x/readme.md"})
	reason, ok := scan.IsSkip(err)
	require.True(t, ok, "%v", err)
	require.Contains(t, reason, "no exec tool")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), nil, 0o644))
	_, err = sc.Scan(context.Background(), &scan.File{Root: dir, Path: "main.py"})
	require.NoError(t, err)
}

// TestCancelKillsTheWholeGroup: a tool that started a child of its own is
// killed with that child when its job is cancelled, and the scan returns
// at once; nothing the tool started is left.
func TestCancelKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	tool := external.Tool{Command: []string{script(t, dir, "tree.sh",
		`sleep 60 & echo $! > `+pids+`; echo $$ >> `+pids+`; wait`), "{}"}}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), nil, 0o644))
	sc := build(t, tool)
	go func() {
		_, err := sc.Scan(ctx, &scan.File{Root: dir, Path: "a.txt"})
		errc <- err
	}()
	t.Cleanup(cancel) // whatever fails below, the tool's run ends
	var ids []int
	testwait.For(t, 10*time.Second, "the tool and its child to write their pids", func() bool {
		b, _ := os.ReadFile(pids)
		ids = nil
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			ids = append(ids, n)
		}
		return len(ids) == 2
	})
	cancel()
	err := testwait.Chan(t, 10*time.Second, "the scan to return after its context was cancelled", errc)
	require.ErrorIs(t, err, context.Canceled)
	for _, pid := range ids {
		testwait.For(t, 10*time.Second, fmt.Sprintf("pid %d to be gone", pid), func() bool { return !proctest.Alive(pid) })
	}
}

func TestBadOptions(t *testing.T) {
	cases := []struct {
		name string
		opts external.Options
		says string
	}{
		{"no tools", external.Options{}, "no tool configured"},
		{"empty command", external.Options{Tools: []external.Tool{{Command: nil}}}, "empty command"},
		{"no placeholder", external.Options{Tools: []external.Tool{{Command: []string{"semgrep", "--json"}}}}, `no "{}" placeholder`},
		{"same name twice", external.Options{Tools: []external.Tool{{Command: []string{"a", "{}"}}, {Command: []string{"/bin/a", "{}"}}}}, "two tools named"},
		{"bad include", external.Options{Tools: []external.Tool{{Command: []string{"a", "{}"}, Include: []string{"["}}}}, "include pattern"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.opts.Check()
			require.ErrorIs(t, err, scan.InvalidInput)
			require.Contains(t, err.Error(), c.says)
		})
	}
	require.ErrorIs(t, external.Options{Tools: []external.Tool{{Command: []string{"x"}}}}.Check(), external.ErrNoPlaceholder)
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, out string
		want      []scan.Finding
		err       string
	}{
		{"empty", "", nil, ""},
		{"array", `[{"rule":"a","line":"4"}]`, []scan.Finding{{Rule: "a", Line: 4}}, ""},
		{"bandit", `{"results":[{"test_id":"B101","line_number":2,"issue_severity":"LOW","issue_text":"assert","code":"assert x"}]}`,
			[]scan.Finding{{Rule: "B101", Line: 2, Severity: "low", Message: "assert", Match: "assert x"}}, ""},
		{"no rule", `{"line":1}`, []scan.Finding{{Rule: "finding", Line: 1}}, ""},
		{"truncated", `{"results":[`, nil, "invalid JSON"},
		{"not json", `error: no config`, nil, `first bytes: "error: no config"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := external.Parse([]byte(c.out))
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// TestToolsAreNotHandedWhatLeadsOut: a file that became a symlink out of
// its root, a FIFO or a device since the walk is skipped with the reason,
// never handed to a tool, alone or in a batch; the others run.
func TestToolsAreNotHandedWhatLeadsOut(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.py"), []byte("OUTSIDE"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "ok.py"), nil, 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.py"), filepath.Join(root, "out.py")))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(root, "zero.py")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo.py"), 0o644))
	given := filepath.Join(t.TempDir(), "given")
	tool := external.Tool{Command: []string{script(t, t.TempDir(), "note.sh", `printf '%s\n' "$@" >> `+given), "{}"}, Include: []string{"*.py"}}
	sc := build(t, tool)
	names := []string{"ok.py", "out.py", "zero.py", "fifo.py"}
	want := map[string]string{"out.py": "outside the scanned root", "zero.py": "outside the scanned root", "fifo.py": "named pipe"}
	var batch []*scan.File
	for _, n := range names {
		batch = append(batch, &scan.File{Root: root, Path: n})
		_, err := sc.Scan(context.Background(), batch[len(batch)-1])
		if want[n] == "" {
			require.NoError(t, err, n)
			continue
		}
		reason, ok := scan.IsSkip(err)
		require.True(t, ok, "%s: %v", n, err)
		require.Contains(t, reason, want[n], n)
	}
	for k, o := range sc.(scan.BatchScanner).ScanBatch(context.Background(), batch) {
		if want[names[k]] == "" {
			require.NoError(t, o.Err, names[k])
			continue
		}
		reason, ok := scan.IsSkip(o.Err)
		require.True(t, ok, "%s: %v", names[k], o.Err)
		require.Contains(t, reason, want[names[k]])
	}
	b, err := os.ReadFile(given)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(root, "ok.py"), filepath.Join(root, "ok.py")}, strings.Fields(string(b)), "only ok.py, alone then in the batch")
}
