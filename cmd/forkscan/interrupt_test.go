package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/worker/scan"
)

// cliEnv makes the test binary run as the CLI, with os.Args[1:] as its
// arguments (see TestMain): the real main path, signals included, with the
// test scanners below registered.
const cliEnv = "FORKSCAN_TEST_CLI"

// Test-only scanners for interrupts: sluggish reads each file and takes a
// few milliseconds, honouring its context; stubborn ignores its context
// (the Shutdown), and deaf ignores SIGTERM as well.
func init() {
	scan.Register(scan.Def{Name: "sluggish", Content: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			markRunning()
			select {
			case <-time.After(4 * time.Millisecond):
				return scan.Report{}, nil
			case <-ctx.Done():
				return scan.Report{}, ctx.Err()
			}
		}), nil
	}})
	scan.Register(scan.Def{Name: "stubborn", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) {
			markRunning()
			time.Sleep(time.Hour)
			return scan.Report{}, nil
		}), nil
	}})
	scan.Register(scan.Def{Name: "deaf", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) {
			signal.Ignore(syscall.SIGTERM)
			markRunning()
			time.Sleep(time.Hour)
			return scan.Report{}, nil
		}), nil
	}})
}

// marksEnv names a directory where stubborn and deaf leave a file named
// by their worker's pid once they run, so that a test signals the CLI only
// when every worker is busy.
const marksEnv = "FORKSCAN_TEST_MARKS"

var markRunning = sync.OnceFunc(func() {
	if dir := os.Getenv(marksEnv); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644)
	}
})

// waitForMarks waits until n workers have left their mark in dir.
func waitForMarks(t testing.TB, dir string, n int) {
	t.Helper()
	testwait.For(t, 30*time.Second, fmt.Sprintf("%d workers to run a job (their marks in %s)", n, dir), func() bool {
		marks, err := os.ReadDir(dir)
		return err == nil && len(marks) >= n
	})
}

// cliProcess is the CLI running as a process of its own.
type cliProcess struct {
	cmd     *exec.Cmd
	stderr  bytes.Buffer
	seen    map[int]bool // every child seen while it ran; read once watched is closed
	watched chan struct{}
	done    chan struct{}
	took    time.Duration // from the first signal to the exit: a measure for BenchmarkInterrupt, never a test's assertion
	gap     time.Duration // between two signals of interrupt
}

// startCLI starts the CLI (this test binary in CLI mode, its test
// scanners registered) with args in a process group of its own, and
// watches /proc for its children until it exits.
func startCLI(t testing.TB, args ...string) *cliProcess {
	t.Helper()
	return startCommand(t, exec.Command(os.Args[0], args...))
}

// startCommand is startCLI of cmd: this test binary, or a forkscan binary
// (cliCommand), which takes the test binary's environment as it is.
func startCommand(t testing.TB, cmd *exec.Cmd) *cliProcess {
	t.Helper()
	c := &cliProcess{cmd: cmd, seen: map[int]bool{}, watched: make(chan struct{}), done: make(chan struct{}),
		gap: 50 * time.Millisecond}
	// Under -race a process sleeps a second at exit unless told not to.
	c.cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0")
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); <-c.done })
	go func() {
		defer close(c.watched)
		for {
			for _, kid := range proctest.Children(c.cmd.Process.Pid) {
				c.seen[kid] = true
			}
			select {
			case <-c.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	return c
}

// waitForWorkers waits until the CLI has started n workers.
func (c *cliProcess) waitForWorkers(t testing.TB, n int) {
	t.Helper()
	testwait.For(t, 30*time.Second, fmt.Sprintf("the CLI to start %d workers", n), func() bool {
		return len(proctest.Children(c.cmd.Process.Pid)) >= n
	})
}

// interrupt sends sig to the CLI and returns when it has exited.
func (c *cliProcess) interrupt(t testing.TB, sig ...syscall.Signal) {
	t.Helper()
	begun := time.Now()
	for i, s := range sig {
		if i > 0 {
			time.Sleep(c.gap) // a second Ctrl-C, a moment later
		}
		if err := c.cmd.Process.Signal(s); i == 0 || !errors.Is(err, os.ErrProcessDone) {
			require.NoError(t, err) // only a second may come too late
		}
	}
	timer := time.NewTimer(testwait.Bound(time.Minute))
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
		t.Fatalf("waited %v (%s=%g) for the CLI to exit after %v; it never did; stderr:\n%s", testwait.Bound(time.Minute), testwait.ScaleVar, testwait.Scale(), sig, c.stderr.String())
	}
	c.took = time.Since(begun)
}

// requireNothingLeft checks /proc: no process the CLI started, and none of
// its process group, is alive.
func (c *cliProcess) requireNothingLeft(t *testing.T, workers map[int]bool) {
	t.Helper()
	<-c.watched
	var pids []int
	for pid := range c.seen {
		pids = append(pids, pid)
	}
	for pid := range workers {
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		require.False(t, proctest.Alive(pid), "worker %d outlived the CLI", pid)
	}
	require.Empty(t, proctest.Group(c.cmd.Process.Pid), "processes left in the CLI's process group")
}

// sluggishTree makes a tree of n files in 20 directories for runs that
// are interrupted, and the arguments of such a run: two scanners, one of
// which takes 4 ms a file, 2 workers × 2 tasks, 2 s of grace.
func sluggishTree(t *testing.T, n int) (root string, args []string) {
	t.Helper()
	root = t.TempDir()
	for i := range n {
		write(t, filepath.Join(root, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d.txt", i)), strings.Repeat("x", i))
	}
	return root, []string{"scan", "-s", "sluggish", "-s", "inventory", "-w", "2", "--tasks", "2", "--grace", "2s"}
}

func TestInterruptAtRandomMomentsThenResume(t *testing.T) {
	const files = 600
	root, args := sluggishTree(t, files)
	want := fileRecords(t, runCLIToFile(t, args, root, false))
	require.Len(t, want, 2*files)

	for trial := range 20 {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		marks := t.TempDir()
		t.Setenv(marksEnv, marks)
		c := startCLI(t, append(args, "-o", out, root)...)
		waitForMarks(t, marks, 2) // both workers run (TestInterruptWhileWorkersStart covers their start)
		// The files take files·4ms/4 tasks at least: every moment chosen
		// here falls inside the run.
		time.Sleep(time.Duration(rand.Int64N(int64(files * time.Millisecond * 8 / 10))))
		c.interrupt(t, syscall.SIGINT)

		require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), "trial %d: %v\n%s", trial, c.cmd.ProcessState, c.stderr.String())
		require.Contains(t, c.stderr.String(), "stopping; workers have 2s", "trial %d", trial)
		require.Contains(t, c.stderr.String(), "forkscan: interrupted: ", "trial %d", trial)
		got, workers := readOutput(t, out)
		c.requireNothingLeft(t, workers)
		require.Less(t, len(got), len(want), "trial %d: the run was cut short", trial)
		for k, status := range got {
			require.Equal(t, want[k], status, "trial %d: %v", trial, k)
		}

		hint := carryOnCommand(t, c.stderr.String())
		require.Equal(t, append(append([]string{"scan", "--resume"}, args[1:]...), "-o", out, root), hint, "trial %d: the same command, with --resume", trial)
		code, _, errOut := cli(t, hint...)
		require.Equal(t, exitOK, code, errOut)
		requireWholeOutputFirst(t, errOut, out, 2*files)
		require.Equal(t, want, fileRecords(t, out), "trial %d: interrupt and resume make the same records as one run", trial)
	}
}

// carryOnCommand is the command the summary of an interrupted run says
// carries it on, as the CLI's arguments (the words of the tests' runs
// need no quotes).
func carryOnCommand(t testing.TB, stderr string) []string {
	t.Helper()
	const prefix = "forkscan: to carry on: forkscan "
	for l := range strings.SplitSeq(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			require.NotContains(t, rest, "'", "no word needs quotes here")
			return strings.Fields(rest)
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, stderr)
	return nil
}

// requireWholeOutputFirst checks the summary of a resumed run: its first
// line counts the whole output (records kept and made), the next this
// run's.
func requireWholeOutputFirst(t testing.TB, stderr, out string, records int) {
	t.Helper()
	lines := strings.Split(stderr, "\n")
	first := regexp.MustCompile(`^forkscan: ` + regexp.QuoteMeta(out) + ` holds \d+ (files|commits), (\d+) results \((\d+) ok, 0 error, 0 skipped\), \d+ findings? \((\d+) kept, (\d+) new\)$`)
	m := first.FindStringSubmatch(lines[0])
	require.NotNil(t, m, "the whole output first:\n%s", stderr)
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	require.Equal(t, records, n(2), "every record of the output")
	require.Equal(t, records, n(3))
	require.Equal(t, records, n(4)+n(5), "kept and new make the whole")
	require.True(t, strings.HasPrefix(lines[1], "forkscan: this run: "), "this run's next:\n%s", stderr)
}

func TestInterruptEndsStubbornWorkersWithSignals(t *testing.T) {
	cases := []struct {
		scanner string
		signals []syscall.Signal
		grace   string
		says    string
	}{
		{"stubborn", []syscall.Signal{syscall.SIGINT}, "300ms", "2 by SIGTERM"},
		{"deaf", []syscall.Signal{syscall.SIGINT}, "300ms", "2 by SIGKILL"},
		{"stubborn", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, "1h", "2 by SIGKILL (hurried)"},
		{"sluggish", []syscall.Signal{syscall.SIGTERM}, "1h", "2 when asked"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.scanner, c.signals), func(t *testing.T) {
			root := t.TempDir()
			for i := range 200 {
				write(t, filepath.Join(root, fmt.Sprintf("f%d", i)), "x")
			}
			out := filepath.Join(t.TempDir(), "out.jsonl")
			marks := t.TempDir()
			t.Setenv(marksEnv, marks)
			p := startCLI(t, "scan", "-s", c.scanner, "-w", "2", "--tasks", "1", "--grace", c.grace, "--timeout", "1h", "-o", out, root)
			waitForMarks(t, marks, 2)
			p.interrupt(t, c.signals...)
			require.Equal(t, exitInterrupted, p.cmd.ProcessState.ExitCode(), p.stderr.String())
			require.Contains(t, p.stderr.String(), "forkscan: workers stopped 2 processes in ")
			require.Contains(t, p.stderr.String(), c.says)
			_, workers := readOutput(t, out)
			p.requireNothingLeft(t, workers)
		})
	}
}

// slowstart is a scanner whose construction takes seconds and heeds
// nothing, as a big rule set's might; once built, it leaves a mark
// "built-PID" in the directory marksEnv names.
func init() {
	scan.Register(scan.Def{Name: "slowstart", New: func() (scan.Scanner, error) {
		time.Sleep(5 * time.Second)
		if dir := os.Getenv(marksEnv); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("built-%d", os.Getpid())), nil, 0o644)
		}
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) { return scan.Report{}, nil }), nil
	}})
}

// TestInterruptWhileWorkersStart interrupts the CLI while its workers are
// still building their scanners, once and twice: it exits 130 without
// waiting for their start (no worker finished building its scanner: none
// left its mark), with no worker left.
func TestInterruptWhileWorkersStart(t *testing.T) {
	for _, signals := range [][]syscall.Signal{{syscall.SIGINT}, {syscall.SIGINT, syscall.SIGINT}} {
		t.Run(fmt.Sprint(signals), func(t *testing.T) {
			root := t.TempDir()
			for i := range 50 {
				write(t, filepath.Join(root, fmt.Sprintf("f%d", i)), "x")
			}
			out := filepath.Join(t.TempDir(), "out.jsonl")
			marks := t.TempDir()
			t.Setenv(marksEnv, marks)
			p := startCLI(t, "scan", "-s", "slowstart", "-w", "2", "--grace", "1s", "-o", out, root)
			p.waitForWorkers(t, 2)
			p.gap = time.Millisecond // the second while the first is handled
			p.interrupt(t, signals...)
			require.Equal(t, exitInterrupted, p.cmd.ProcessState.ExitCode(), p.stderr.String())
			require.Contains(t, p.stderr.String(), "interrupted while the workers started", "the workers' 5s start was not waited for")
			got, workers := readOutput(t, out)
			require.Empty(t, got)
			p.requireNothingLeft(t, workers)
			built, err := os.ReadDir(marks)
			require.NoError(t, err)
			require.Empty(t, built, "the workers' start was waited for: a scanner was built")
		})
	}
}

func TestKilledCLILeavesNoWorker(t *testing.T) {
	root := t.TempDir()
	for i := range 2000 {
		write(t, filepath.Join(root, fmt.Sprintf("f%d", i)), "x")
	}
	p := startCLI(t, "scan", "-s", "sluggish", "-w", "2", "-o", filepath.Join(t.TempDir(), "out.jsonl"), root)
	p.waitForWorkers(t, 2)
	workers := proctest.Children(p.cmd.Process.Pid)
	require.NoError(t, p.cmd.Process.Kill())
	testwait.Chan(t, time.Minute, "the SIGKILLed CLI to be reaped", p.done)
	require.Len(t, workers, 2)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived their SIGKILLed parent")
}

// runCLIToFile runs the CLI in this process to the end, writing to out (a
// new file unless given), and returns the output file.
func runCLIToFile(t *testing.T, args []string, root string, ok bool, out ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out.jsonl")
	if len(out) > 0 {
		file = out[0]
	}
	code, _, errOut := cli(t, append(args, "-o", file, root)...)
	require.Equal(t, exitOK, code, errOut)
	if ok {
		require.Contains(t, errOut, "forkscan: resumed from "+file+": kept ")
	}
	return file
}

// fileRecords reads an output file whole: (path, scanner) → status.
func fileRecords(t *testing.T, file string) map[[2]string]string {
	t.Helper()
	got, _ := readOutput(t, file)
	return got
}

// readOutput checks that every line of file is a whole record and no
// (path, scanner) comes twice; it returns the records' statuses and the
// worker pids they name.
func readOutput(t *testing.T, file string) (map[[2]string]string, map[int]bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	got, pids := map[[2]string]string{}, map[int]bool{}
	if len(data) > 0 {
		require.True(t, bytes.HasSuffix(data, []byte("\n")), "the output ends with a whole line")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record.Record
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %q", sc.Text())
		k := [2]string{r.Path, r.Scanner}
		_, dup := got[k]
		require.False(t, dup, "two records for %v", k)
		got[k] = r.Status.String()
		pids[r.WorkerPID] = true
	}
	delete(pids, 0)
	return got, pids
}

// Ctrl-C in the middle of batched tool runs: the CLI exits 130 with every
// record it got written whole, each run's whole process group is killed
// (the tool and what it started), and --resume then ends with the records
// of one uninterrupted run.
func TestInterruptBatchedToolThenResume(t *testing.T) {
	root := t.TempDir()
	for i := range 120 {
		write(t, filepath.Join(root, fmt.Sprintf("f%03d.txt", i)), "x\n")
	}
	dir := t.TempDir()
	pids, marks := filepath.Join(dir, "pids"), filepath.Join(dir, "marks")
	require.NoError(t, os.Mkdir(marks, 0o755))
	// Each run of the tool waits (at most 30s) until the tool runs under
	// both workers: on a loaded machine the second worker can be ready
	// only after the first has run through every file, and the interrupt
	// is to find both at work.
	tool := script(t, "slowtool", `echo $$ >> "`+pids+`"
sleep 30 & echo $! >> "`+pids+`"
: > "`+marks+`/$PPID"
i=0
while [ "$(ls "`+marks+`" | wc -l)" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
sleep 0.3
printf '[]'
kill $!`)
	args := []string{"scan", "-s", "exec", "--exec-cmd", tool + " {}", "--exec-format", "json", "-w", "2", "--tasks", "2", "--grace", "2s"}
	want := fileRecords(t, runCLIToFile(t, args, root, false))
	require.Len(t, want, 120)
	require.NoError(t, os.Remove(pids))
	require.NoError(t, os.RemoveAll(marks)) // the marks of that run
	require.NoError(t, os.Mkdir(marks, 0o755))

	out := filepath.Join(t.TempDir(), "out.jsonl")
	c := startCLI(t, append(args, "-o", out, root)...)
	waitForMarks(t, marks, 2) // tool runs under both workers
	c.interrupt(t, syscall.SIGINT)
	require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), c.stderr.String())
	got, workers := readOutput(t, out)
	c.requireNothingLeft(t, workers)
	data, err := os.ReadFile(pids)
	require.NoError(t, err)
	for _, field := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(field)
		require.NoError(t, err)
		require.Empty(t, proctest.WaitGone([]int{pid}, testwait.Bound(30*time.Second)), "tool process %d outlived the interrupt", pid)
	}
	for k, status := range got {
		require.Equal(t, want[k], status, "%v", k)
	}

	resumed := fileRecords(t, runCLIToFile(t, append(args, "--resume"), root, true, out))
	require.Equal(t, want, resumed, "interrupt and resume make the same records as one run")
}
