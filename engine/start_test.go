package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
)

// startFaultEnv makes worker processes of this test binary fail at start,
// as "KIND:DIR:FROM:TO": the starts numbered FROM to TO-1 (each start
// claims the next number by making a directory in DIR) misbehave as KIND
// says. "die" SIGKILLs itself before the handshake; "exit" exits 0 before
// it; "refuse" and "stop" and "hang" act in the construction of the
// "fussy" scanner, after the handshake: an error, a SIGSTOP, a wait that
// never ends.
const startFaultEnv = "FORKSCAN_TEST_START_FAULT"

// startFault is the fault of this worker process, if its start drew one.
var startFault string

// claimStartFault runs first in TestMain of a worker process: it draws
// the process's start number and acts on faults before the handshake.
func claimStartFault() {
	spec := os.Getenv(startFaultEnv)
	if spec == "" || os.Getenv("FORKSCAN_WORKER") == "" {
		return
	}
	parts := strings.Split(spec, ":")
	from, _ := strconv.Atoi(parts[2])
	to, _ := strconv.Atoi(parts[3])
	n := 0
	for os.Mkdir(filepath.Join(parts[1], strconv.Itoa(n)), 0o755) != nil {
		n++
	}
	if n < from || n >= to {
		return
	}
	if kind, ok := strings.CutPrefix(parts[0], "rogue-"); ok {
		rogue(kind)
	}
	switch startFault = parts[0]; startFault {
	case "die":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	case "exit":
		os.Exit(0)
	}
}

func init() {
	scan.Register(scan.Def{Name: "fussy", New: func() (scan.Scanner, error) {
		switch startFault {
		case "refuse":
			return nil, scan.Errorf(scan.InvalidInput, "fussy refuses to start")
		case "stop":
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
			time.Sleep(time.Hour)
		case "hang":
			time.Sleep(time.Hour)
		case "slow": // builds for longer than the start timeout, using the CPU
			for start := time.Now(); time.Since(start) < 6*time.Second; {
			}
		case "spin": // never ends, using the CPU
			for {
			}
		}
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) {
			time.Sleep(2 * time.Millisecond) // a run long enough for starts to fail in
			return scan.Report{}, nil
		}), nil
	}})
}

// faultyStarts returns a Command for workers whose starts from..to-1 fail
// as kind says. Each start leaves a directory in dir (a new one if none is
// given): they count the processes spawned.
func faultyStarts(t *testing.T, kind string, from, to int, dir ...string) func() *exec.Cmd {
	dir = append(dir, t.TempDir())
	exe, err := os.Executable()
	require.NoError(t, err)
	return func() *exec.Cmd {
		cmd := exec.Command(exe)
		cmd.Env = []string{fmt.Sprintf("%s=%s:%s:%d:%d", startFaultEnv, kind, dir[0], from, to)}
		return cmd
	}
}

// awaitStart waits until start n has begun: its directory is in dir. It
// runs in the engine's job source, where no test may fail: past its bound
// it returns, and the test's check of the faults says what was missed.
func awaitStart(dir string, n int) {
	deadline := time.Now().Add(testwait.Bound(time.Minute))
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dir, strconv.Itoa(n))); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStartFailuresAreReplaced makes workers fail at every point of their
// start, the first and the replacements alike: each is ended and replaced,
// and every job ends in exactly one record.
func TestStartFailuresAreReplaced(t *testing.T) {
	// Long enough for a healthy start on a loaded machine, the race-built
	// test binary's handshake included (more than 2s at a load of 27 on two
	// cores): a first worker killed for its slowness would leave only the
	// faulty starts to run the jobs.
	startTimeout := testwait.Bound(5 * time.Second)
	cases := []struct {
		kind     string
		from, to int // the starts that fail
	}{
		{"die", 0, 3},    // killed before its handshake
		{"stop", 0, 2},   // stopped while its scanners are built
		{"hang", 1, 3},   // a scanner's New never returns
		{"die", 2, 5},    // replacements killed in their start
		{"stop", 2, 4},   // replacements stopped in theirs
		{"exit", 2, 5},   // replacements that exit at once, after a worker has run
		{"hang", 2, 100}, // every replacement hangs: the first workers finish the run
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %d-%d", c.kind, c.from, c.to), func(t *testing.T) {
			starts := t.TempDir() // start n makes the directory n in it
			cfg := engine.Config{Scanners: []string{"fussy", "exiter"}, Workers: 2, Tasks: 1, Window: 4,
				Command: faultyStarts(t, c.kind, c.from, c.to, starts), StartTimeout: startTimeout}
			jobs := func(yield func(engine.Job) bool) {
				for i := range 1500 {
					path := fmt.Sprintf("job-%d", i)
					if i == 50 {
						path = "exit-50" // kills its worker: a replacement is started
					}
					if i == 51 && c.from >= 2 {
						// The faults are in the replacements: the rest of the
						// jobs wait until the first faulty one has been ended
						// and replaced in turn (start from+1 has begun), or
						// the healthy worker would finish them all first.
						awaitStart(starts, c.from+1)
					}
					if !yield(engine.Job{Path: path}) {
						return
					}
				}
			}
			o := runAll(t, context.Background(), cfg, jobs)
			require.NoError(t, o.err)
			require.Len(t, o.count, 3000, "a record per job and scanner")
			for p, n := range o.count {
				require.Equal(t, 1, n, "records for %v", p)
			}
			require.Positive(t, o.stats.StartFailures, "the faults happened")
			t.Logf("%d start failures, %d workers replaced", o.stats.StartFailures, o.stats.Restarts)
		})
	}
}

// TestSlowStartIsNotStuck: a worker whose scanners take longer to build
// than StartTimeout, using the CPU all along, is given the time it needs;
// one that spins for ever, or sleeps, is ended and the run with it.
// (Timeouts leave room for a loaded machine, where the race-built test
// binary takes a second or more to reach its handshake: the slow build
// takes 6s, twice its StartTimeout of 3s, which its handshake must fit in.)
func TestSlowStartIsNotStuck(t *testing.T) {
	t.Run("slow", func(t *testing.T) {
		cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 1, Command: faultyStarts(t, "slow", 0, 1<<30),
			StartTimeout: 3 * time.Second, LostAfter: testwait.Bound(20 * time.Second)}
		o := runAll(t, context.Background(), cfg, paths(10, "job-%d"))
		require.NoError(t, o.err)
		require.Len(t, o.count, 10)
		if o.stats.StartFailures > 0 { // a handshake slower than StartTimeout on a loaded machine
			t.Logf("%d starts failed before the slow one made it", o.stats.StartFailures)
		}
	})
	for _, kind := range []string{"spin", "hang"} {
		t.Run(kind, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 1, Command: faultyStarts(t, kind, 0, 1<<30),
				StartTimeout: time.Second, LostAfter: testwait.Bound(5 * time.Second)} // a failed start recorded within it, even on a loaded machine
			_, err := engine.Start(context.Background(), cfg, paths(10, "job-%d"))
			require.ErrorIs(t, err, engine.ErrAllWorkersLost)
			require.ErrorContains(t, err, "not ready within")
			requireNoChildren(t)
		})
	}
}

// TestEveryStartFails makes every start of a worker fail: the run ends with
// ErrAllWorkersLost, from Start when no worker ever ran, from Wait with a
// record for every job when workers had run, once no worker could run for
// LostAfter; the failed starts were tried again meanwhile. A worker that
// exits by itself before its handshake three times in a row, while none has
// ever been ready, ends the run at once, LostAfter or not.
func TestEveryStartFails(t *testing.T) {
	// Long enough for a start of the race-built test binary on a loaded
	// machine (more than a second at times), which LostAfter does not wait
	// for: the first workers must be ready, and a dead start replaced,
	// within it.
	lostAfter := testwait.Bound(5 * time.Second)
	t.Run("from the first", func(t *testing.T) {
		dir := t.TempDir()
		cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 2, Command: faultyStarts(t, "die", 0, 1<<30, dir), LostAfter: lostAfter}
		_, err := engine.Start(context.Background(), cfg, paths(10, "job-%d"))
		require.ErrorIs(t, err, engine.ErrWorkerStart)
		require.ErrorIs(t, err, engine.ErrAllWorkersLost)
		require.ErrorContains(t, err, "signal: killed")
		require.GreaterOrEqual(t, spawned(t, dir), 2, "a failed start is tried again")
		requireNoChildren(t)
	})
	t.Run("after some ran", func(t *testing.T) {
		dir := t.TempDir()
		cfg := engine.Config{Scanners: []string{"exiter"}, Workers: 2, Tasks: 1, Window: 1,
			Command: faultyStarts(t, "die", 2, 1<<30, dir), LostAfter: lostAfter}
		o := runAll(t, context.Background(), cfg, paths(50, "exit-%d")) // each job kills its worker
		require.ErrorIs(t, o.err, engine.ErrAllWorkersLost)
		require.ErrorContains(t, o.err, "signal: killed")
		require.Len(t, o.count, 50, "a record per job")
		for p, n := range o.count {
			require.Equal(t, 1, n, "records for %v", p)
		}
		for _, r := range o.results {
			require.ErrorIs(t, r.Error, scan.ProcessCrash)
		}
		require.GreaterOrEqual(t, spawned(t, dir), 3, "the workers that died were replaced, or tried")
	})
	t.Run("exits before the handshake", func(t *testing.T) {
		// LostAfter would end the run only after the bound: the three exits
		// must, and nothing else is tried.
		dir := t.TempDir()
		cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 1, Command: faultyStarts(t, "exit", 0, 1<<30, dir), LostAfter: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound(time.Minute))
		defer cancel()
		_, err := engine.Start(ctx, cfg, paths(10, "job-%d"))
		require.ErrorIs(t, err, engine.ErrWorkerStart)
		require.ErrorIs(t, err, engine.ErrHandshake)
		require.NotErrorIs(t, err, engine.ErrAllWorkersLost)
		require.NotErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "exit status 0")
		require.Equal(t, 3, spawned(t, dir), "three exits in a row, then no more starts")
		requireNoChildren(t)
	})
}

// spawned counts the worker processes faultyStarts has started in dir.
func spawned(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	return len(entries)
}

// spawnLog records when each worker was spawned: when the engine asked for
// its command, just before it starts the process.
type spawnLog struct {
	mu sync.Mutex
	at []time.Time
}

// wrap records each call, then calls cmd, under the log's lock.
func (l *spawnLog) wrap(cmd func() *exec.Cmd) func() *exec.Cmd {
	return func() *exec.Cmd {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.at = append(l.at, time.Now())
		return cmd()
	}
}

func (l *spawnLog) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.at)
}

// TestReplacementsArePaced: a worker that dies before finishing a job is
// replaced after 10ms, and each replacement that fails too after twice as
// long as the last, up to 1s. The gaps between successive spawns of the
// slot are at least those delays (a slow machine only widens them; the cap
// is TestRespawnBackoff's, in package engine). The first worker dies on its
// first job; every replacement is a shell that kills itself at once, until
// LostAfter ends the run: a start that costs next to nothing, so that
// without the pacing the gaps would be far below the delays.
func TestReplacementsArePaced(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	var log spawnLog
	command := log.wrap(func() *exec.Cmd {
		if len(log.at) == 1 { // under log's lock: the first worker
			return exec.Command(exe)
		}
		return exec.Command("/bin/sh", "-c", "kill -KILL $$")
	})
	cfg := engine.Config{Scanners: []string{"exiter"}, Workers: 1, Tasks: 1, Window: 1, Command: command, LostAfter: 5 * time.Second}
	jobs := func(yield func(engine.Job) bool) {
		_ = yield(engine.Job{Path: "exit-0"}) && yield(engine.Job{Path: "job-1"})
	}
	o := runAll(t, context.Background(), cfg, jobs)
	require.ErrorIs(t, o.err, engine.ErrAllWorkersLost)
	require.ErrorContains(t, o.err, "signal: killed", "the replacements were the shells")
	at := log.times()
	require.GreaterOrEqual(t, len(at), 8, "the first worker and at least seven replacements (the last 640ms after the one before): %v", at)
	delay := 10 * time.Millisecond
	for i := 1; i < len(at); i++ {
		gap := at[i].Sub(at[i-1])
		require.GreaterOrEqual(t, gap, delay, "spawn %d came %v after spawn %d: paced by at least %v", i, gap, i-1, delay)
		delay = min(2*delay, time.Second)
	}
}

// TestPermanentStartFailuresEndTheRunAtOnce: a scanner that refuses its
// configuration is not started again and again.
func TestPermanentStartFailuresEndTheRunAtOnce(t *testing.T) {
	cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 2, Command: faultyStarts(t, "refuse", 0, 1<<30)}
	_, err := engine.Start(context.Background(), cfg, paths(10, "job-%d"))
	require.ErrorIs(t, err, engine.ErrWorkerStart)
	require.ErrorIs(t, err, scan.InvalidInput)
	require.ErrorContains(t, err, "fussy refuses to start")
	requireNoChildren(t)
}

// TestCancelWhileWorkersStart cancels Start's context once a worker hangs in
// its start: Start returns the context's error, not waiting for the start's
// time limit (an hour here), and no worker is left.
func TestCancelWhileWorkersStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfg := engine.Config{Scanners: []string{"fussy"}, Workers: 2, Command: faultyStarts(t, "hang", 0, 1<<30, dir),
		StartTimeout: time.Hour, LostAfter: time.Hour}
	started := make(chan error, 1)
	go func() {
		_, err := engine.Start(ctx, cfg, paths(10, "job-%d"))
		started <- err
	}()
	testwait.For(t, 30*time.Second, "a worker spawned", func() bool { return spawned(t, dir) > 0 })
	cancel()
	err := testwait.Chan(t, 30*time.Second, "Start to return once cancelled", started)
	require.ErrorIs(t, err, context.Canceled)
	requireNoChildren(t)
}
