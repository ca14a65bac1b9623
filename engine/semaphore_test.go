package engine_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

// Environment variables that point the test scanners, in every worker
// process, at files the test reads.
const (
	counterEnv = "FORKSCAN_TEST_COUNTER"
	holderEnv  = "FORKSCAN_TEST_HOLDER"
)

func init() {
	register := func(name string, fn scan.ScannerFunc) {
		scan.Register(scan.Def{Name: name, New: func() (scan.Scanner, error) { return fn, nil }})
	}
	// db-user holds one permit of "db" (capacity 3) for a moment, counting
	// holders across processes in a flock'd file: [now, most].
	register("db-user", func(ctx context.Context, _ *scan.File) (scan.Report, error) {
		sem := scan.Semaphore(ctx, "db", 3)
		if err := sem.Acquire(ctx, 1); err != nil {
			return scan.Report{}, err
		}
		defer sem.Release(1)
		if err := bumpCounter(os.Getenv(counterEnv), +1); err != nil {
			return scan.Report{}, err
		}
		time.Sleep(2 * time.Millisecond)
		return scan.Report{}, bumpCounter(os.Getenv(counterEnv), -1)
	})
	// lock-holder takes "lock" (capacity 1), says so in a file, and never
	// lets go: only killing its process ends it.
	register("lock-holder", func(ctx context.Context, f *scan.File) (scan.Report, error) {
		if !strings.HasSuffix(f.Path, "hold") {
			sem := scan.Semaphore(ctx, "lock", 1)
			if err := sem.Acquire(ctx, 1); err != nil {
				return scan.Report{}, err
			}
			return scan.Report{}, sem.Release(1)
		}
		if err := scan.Semaphore(ctx, "lock", 1).Acquire(ctx, 1); err != nil {
			return scan.Report{}, err
		}
		if err := os.WriteFile(os.Getenv(holderEnv), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return scan.Report{}, err
		}
		select {} // holds the permit until the process is killed
	})
	// sem-loop does N acquire+release pairs of "bench" (capacity 1), N from
	// the path "loop-N", and reports the median pair's duration and the total.
	scan.Register(scan.Def{Name: "sem-loop", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(semLoop), nil
	}})
	// sem-checks runs bad and cancelled requests through the real parent and
	// reports what each returned, as findings: rule = case, message = outcome.
	register("sem-checks", func(ctx context.Context, _ *scan.File) (scan.Report, error) {
		var rep scan.Report
		note := func(rule string, err error) {
			msg := "ok"
			var e *scan.Error
			switch {
			case errors.As(err, &e):
				msg = e.Category.String()
			case errors.Is(err, context.DeadlineExceeded):
				msg = "deadline"
			case err != nil:
				msg = err.Error()
			}
			rep.Findings = append(rep.Findings, scan.Finding{Rule: rule, Message: msg})
		}
		all := scan.Semaphore(ctx, "c", 2)
		note("take all", all.Acquire(ctx, 2))
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		note("wait cancelled", scan.Semaphore(ctx, "c", 2).Acquire(short, 1))
		cancel()
		note("give all back", all.Release(2))
		full, cancelFull := context.WithTimeout(ctx, 10*time.Second)
		again := scan.Semaphore(ctx, "c", 2)
		note("whole capacity again", again.Acquire(full, 2))
		cancelFull()
		note("release it", again.Release(2))
		note("empty name", scan.Semaphore(ctx, "", 1).Acquire(ctx, 1))
		note("zero weight", scan.Semaphore(ctx, "c", 2).Acquire(ctx, 0))
		note("weight above capacity", scan.Semaphore(ctx, "c", 2).Acquire(ctx, 3))
		note("other capacity", scan.Semaphore(ctx, "c", 5).Acquire(ctx, 1))
		note("release not held", scan.Semaphore(ctx, "c", 2).Release(1))
		note("undeclared", scan.Semaphore(ctx, "nobody-declared-me", 0).Acquire(ctx, 1))
		return rep, nil
	})
}

func bumpCounter(path string, by int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	var c [16]byte
	if _, err := f.ReadAt(c[:], 0); err != nil {
		return err
	}
	now := int64(binary.LittleEndian.Uint64(c[:8])) + by
	most := max(int64(binary.LittleEndian.Uint64(c[8:])), now)
	binary.LittleEndian.PutUint64(c[:8], uint64(now))
	binary.LittleEndian.PutUint64(c[8:], uint64(most))
	_, err = f.WriteAt(c[:], 0)
	return err
}

func TestSemaphoreLimitHoldsAcrossProcesses(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "counter")
	require.NoError(t, os.WriteFile(counter, make([]byte, 16), 0o644))
	t.Setenv(counterEnv, counter)
	cfg := engine.Config{Scanners: []string{"db-user"}, Workers: 4, Tasks: 4}
	o := runAll(t, context.Background(), cfg, paths(400, "job-%d"))
	require.NoError(t, o.err)
	require.Equal(t, 400, o.stats.OK)
	require.GreaterOrEqual(t, len(o.pids), 2)

	c, err := os.ReadFile(counter)
	require.NoError(t, err)
	require.Zero(t, binary.LittleEndian.Uint64(c[:8]), "every holder left")
	require.Equal(t, uint64(3), binary.LittleEndian.Uint64(c[8:]), "most holders at once, across 4 processes × 4 tasks")
	st := o.stats.Semaphores
	require.Len(t, st, 1)
	require.Equal(t, semregistry.Stat{Name: "db", Capacity: 3, Acquires: 400, PeakInUse: 3}, trimSem(st[0]))
	require.GreaterOrEqual(t, st[0].PeakHolders, 2, "permits held by several processes at once")
	require.Positive(t, st[0].Wait)
}

func trimSem(s semregistry.Stat) semregistry.Stat {
	return semregistry.Stat{Name: s.Name, Capacity: s.Capacity, Acquires: s.Acquires, PeakInUse: s.PeakInUse}
}

// TestKilledHolderReleasesItsPermits kills a worker holding the only permit
// of "lock" once every other task of the run waits for it (the registry's
// queue shows three requests): the permit is released with the holder's
// death, and the survivor runs the waiting jobs, and the rest.
func TestKilledHolderReleasesItsPermits(t *testing.T) {
	holderFile := filepath.Join(t.TempDir(), "holder")
	t.Setenv(holderEnv, holderFile)
	jobs := func(yield func(engine.Job) bool) {
		if !yield(engine.Job{Path: "hold"}) {
			return
		}
		for j := range paths(200, "use-%d") {
			if !yield(j) {
				return
			}
		}
	}
	registry, err := semregistry.New(semregistry.Config{})
	require.NoError(t, err)
	// The holder hangs on its attempt; the others of its window wait.
	cfg := engine.Config{Scanners: []string{"lock-holder"}, Workers: 2, Tasks: 2, Window: 2, Registry: registry}
	const others = 2*2 - 1 // every task but the holder's
	// A leaked permit would leave the other jobs waiting for ever: the
	// deadline turns that hang into a failure (Wait returns its error).
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound(time.Minute))
	defer cancel()
	run, err := engine.Start(ctx, cfg, jobs)
	require.NoError(t, err)

	// The killer reports to the test's goroutine: the kill's time, or why
	// there was none (then it ends the run).
	type shot struct {
		at  time.Time
		err error
	}
	killed := make(chan shot, 1)
	go func() {
		pid, err := holderWaitedFor(ctx, holderFile, registry, others)
		if err != nil {
			killed <- shot{err: err}
			cancel()
			return
		}
		killed <- shot{at: time.Now()}
		_ = syscall.Kill(pid, syscall.SIGKILL) // a worker this test started, by pid
	}()
	count := map[string]int{}
	var lastOK time.Time
	var crashed []string
	for r := range run.Results() {
		count[r.Path]++
		switch r.Status {
		case engine.StatusOK:
			lastOK = time.Now()
		case engine.StatusError:
			require.ErrorIs(t, r.Error, scan.ProcessCrash, "%s: %v", r.Path, r.Error)
			crashed = append(crashed, r.Path)
		}
	}
	st, err := run.Wait()
	kill := <-killed
	require.NoError(t, kill.err)
	require.NoError(t, err)
	require.Len(t, count, 201, "every job has a record")
	for p, c := range count {
		require.Equal(t, 1, c, p)
	}
	require.Contains(t, crashed, "hold")
	require.Greater(t, st.OK, 150, "the other worker carried on with the lock")
	t.Logf("the survivor finished its jobs %v after the kill; %d jobs crashed with the holder", lastOK.Sub(kill.at), len(crashed))
	requireNoChildren(t)
}

// holderWaitedFor returns the pid the lock's holder wrote to path, once
// others requests wait in registry's queue for "lock" and the holder is
// alive; an error if ctx ends first.
func holderWaitedFor(ctx context.Context, path string, registry *semregistry.Registry, others int) (int, error) {
	queued := func() int {
		for _, st := range registry.Stats() {
			if st.Name == "lock" {
				return st.Waiting
			}
		}
		return 0
	}
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			if pid, err := strconv.Atoi(string(b)); err == nil && proctest.Alive(pid) && queued() == others {
				return pid, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the holder of the lock, and %d requests queued behind it (%d are), never came: %w", others, queued(), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestSemaphoreRequestsThroughTheParent(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"sem-checks"}, Workers: 1, InProcess: m.inProcess,
				Semaphores: semregistry.Config{Capacities: map[string]int64{"c": 2}, DeclaredOnly: true}}
			o := runAll(t, context.Background(), cfg, paths(1, "only-%d"))
			require.NoError(t, o.err)
			got := map[string]string{}
			for _, f := range o.only(pair{"only-0", "sem-checks"}).Findings {
				got[f.Rule] = f.Message
			}
			require.Equal(t, map[string]string{
				"take all":              "ok",
				"wait cancelled":        "deadline",
				"give all back":         "ok",
				"whole capacity again":  "ok",
				"release it":            "ok",
				"empty name":            "INVALID_INPUT",
				"zero weight":           "INVALID_INPUT",
				"weight above capacity": "INVALID_INPUT",
				"other capacity":        "ok", // the configured capacity wins over the scanner's
				"release not held":      "INVALID_INPUT",
				"undeclared":            "INVALID_INPUT",
			}, got, fmt.Sprint(got))
		})
	}
}

// semLoopFacts is what sem-loop reports.
type semLoopFacts struct {
	Pairs    int   `json:"pairs"`
	MedianNS int64 `json:"median_ns"`
	TotalNS  int64 `json:"total_ns"`
}

func semLoop(ctx context.Context, f *scan.File) (scan.Report, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(f.Path), "loop-"))
	if err != nil {
		return scan.Report{}, scan.Errorf(scan.InvalidInput, "path %q: %w", f.Path, err)
	}
	sem := scan.Semaphore(ctx, "bench", 1)
	each := make([]time.Duration, n)
	start := time.Now()
	for i := range each {
		t0 := time.Now()
		if err := sem.Acquire(ctx, 1); err != nil {
			return scan.Report{}, err
		}
		if err := sem.Release(1); err != nil {
			return scan.Report{}, err
		}
		each[i] = time.Since(t0)
	}
	total := time.Since(start)
	slices.Sort(each)
	return scan.Report{Data: semLoopFacts{Pairs: n, MedianNS: int64(each[n/2]), TotalNS: int64(total)}}, nil
}
