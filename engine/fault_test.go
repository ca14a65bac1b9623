package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
)

// hoard keeps what the hog scanner allocates alive.
var hoard [][]byte

// faulty fails as its job's path says: a panic outside any scanner's
// recover, os.Exit(3), a SIGSEGV, a hang that ignores its context (stuck:
// the same, saying when it began; deaf: ignoring SIGTERM too), a wait that
// honours it, allocation without bound, a SIGSTOP, or a failure on the
// first attempt only (a marker file beside the path remembers it).
func faulty(ctx context.Context, f *scan.File) (scan.Report, error) {
	switch name := f.Path[strings.LastIndexByte(f.Path, '/')+1:]; {
	case strings.HasPrefix(name, "panic"):
		go panic("faulty scanner panics outside the scanner on " + name)
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "exit"):
		os.Exit(3)
	case strings.HasPrefix(name, "segv"):
		_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "hang"):
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "deaf"): // to Shutdown and to SIGTERM
		signal.Ignore(syscall.SIGTERM)
		_ = os.WriteFile(f.Path+".began", nil, 0o644)
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "stuck"): // ignores Shutdown, not SIGTERM
		_ = os.WriteFile(f.Path+".began", nil, 0o644)
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "wait"):
		_ = os.WriteFile(f.Path+".began", nil, 0o644)
		<-ctx.Done()
		return scan.Report{}, ctx.Err()
	case strings.HasPrefix(name, "hog"):
		for {
			b := make([]byte, 16<<20)
			for i := 0; i < len(b); i += 4096 { // touch every page
				b[i] = 1
			}
			hoard = append(hoard, b)
		}
	case strings.HasPrefix(name, "stop"):
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP) // takes effect soon, not always at once
		time.Sleep(time.Hour)
	case strings.HasPrefix(name, "flaky"):
		if _, err := os.Stat(f.Path + ".tried"); err != nil {
			_ = os.WriteFile(f.Path+".tried", nil, 0o644)
			return scan.Report{}, scan.Errorf(scan.NetworkError, "first attempt fails")
		}
	}
	return scan.Report{}, nil
}

func init() {
	scan.Register(scan.Def{Name: "faulty", New: func() (scan.Scanner, error) { return scan.ScannerFunc(faulty), nil }})
	// brief takes a fraction of a millisecond, so a run of many jobs lasts
	// long enough to be shot at.
	scan.Register(scan.Def{Name: "brief", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) {
			time.Sleep(200 * time.Microsecond)
			return scan.Report{}, nil
		}), nil
	}})
}

// faultCfg is a run of two single-task workers, so a death's blame is
// exact, with short delays and limits.
func faultCfg() engine.Config {
	return engine.Config{Scanners: []string{"faulty"}, Workers: 2, Tasks: 1, Window: 4,
		Retries: 2, RetryDelay: time.Millisecond, JobTimeout: 2 * time.Second, Grace: 300 * time.Millisecond,
		Watchdog: 3 * time.Second, MemoryLimit: 256 << 20}
}

func TestEveryFailureEndsInItsCategory(t *testing.T) {
	cases := []struct {
		name     string
		category scan.Category
		attempts int
		says     string // in the error message
		status   engine.Status
		tweak    func(*engine.Config)
	}{
		{"panic", scan.ProcessCrash, 3, "panic: faulty scanner panics", engine.StatusError, nil},
		{"exit", scan.ProcessCrash, 3, "exit status 3", engine.StatusError, nil},
		{"segv", scan.ProcessCrash, 3, "SIGSEGV", engine.StatusError, nil},
		{"hang", scan.Timeout, 1, "ignored its cancel", engine.StatusError, nil},
		{"wait", scan.Timeout, 1, "time limit passed", engine.StatusError, nil},
		{"hog", scan.ResourceLimit, 3, "over the limit", engine.StatusError, func(c *engine.Config) {
			// Near its GOMEMLIMIT the hog's heap grows only as fast as a
			// collector running flat out lets it: on a loaded machine that
			// takes longer than faultCfg's 2s time limit, which would then
			// end it as a TIMEOUT. The memory limit is the case here.
			c.JobTimeout = time.Minute
		}},
		{"stop", scan.Timeout, 1, "killed as hung", engine.StatusError, func(c *engine.Config) {
			c.JobTimeout, c.Retries = 0, 0 // the watchdog's case alone, once
		}},
		{"flaky", 0, 2, "", engine.StatusOK, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			jobs := paths(30, dir+"/ok-%d")
			faultyJob := engine.Job{Path: dir + "/" + c.name}
			all := func(yield func(engine.Job) bool) {
				i := 0
				for j := range jobs {
					if i++; i == 5 && !yield(faultyJob) {
						return
					}
					if !yield(j) {
						return
					}
				}
			}
			cfg := faultCfg()
			if c.tweak != nil {
				c.tweak(&cfg)
			}
			o := runAll(t, context.Background(), cfg, all)
			require.NoError(t, o.err)
			require.Len(t, o.count, 31, "every job has a record")
			for p, n := range o.count {
				require.Equal(t, 1, n, "records for %v", p)
			}
			r := o.only(pair{faultyJob.Path, "faulty"})
			require.Equal(t, c.status, r.Status, "%v", r.Error)
			require.Equal(t, c.attempts, r.Attempts, "%v", r.Error)
			if c.status == engine.StatusError {
				require.ErrorIs(t, r.Error, c.category, "%v", r.Error)
				require.Contains(t, r.Error.Message, c.says)
			}
			for _, res := range o.results {
				if res.Path != faultyJob.Path {
					require.Equal(t, engine.StatusOK, res.Status, "%s: %v", res.Path, res.Error)
					require.Equal(t, 1, res.Attempts, "%s: jobs only waiting on a dead worker are not charged", res.Path)
				}
			}
			t.Logf("%s: %d workers replaced, %d retries: %s", c.name, o.stats.Restarts, o.stats.Retries, r.Error)
		})
	}
}

func TestRespawnsAreBounded(t *testing.T) {
	var most atomic.Int32
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // how many workers are alive at once, from /proc
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if n := int32(len(liveChildren())); n > most.Load() {
				most.Store(n)
			}
		}
	}()
	stopWatching := sync.OnceFunc(func() { close(stop); <-watched })
	defer stopWatching() // when the run fails too
	cfg := faultCfg()
	o := runAll(t, context.Background(), cfg, paths(6, "exit-%d"))
	stopWatching()
	require.Len(t, o.results, 6)
	for _, r := range o.results {
		require.ErrorIs(t, r.Error, scan.ProcessCrash)
		require.Equal(t, 3, r.Attempts)
	}
	require.LessOrEqual(t, o.stats.Restarts, 6*3, "one replacement per death at most")
	require.LessOrEqual(t, int(most.Load()), cfg.Workers, "never more workers than the pool holds")
	require.NoError(t, o.err)
}

func TestRecycledWorkers(t *testing.T) {
	cfg := engine.Config{Scanners: []string{"noop"}, Workers: 2, Tasks: 2, MaxJobsPerWorker: 10}
	o := runAll(t, context.Background(), cfg, paths(100, "job-%d"))
	require.NoError(t, o.err)
	require.Len(t, o.count, 100)
	require.Equal(t, 100, o.stats.OK)
	require.GreaterOrEqual(t, len(o.pids), 10, "each worker takes at most 10 jobs")
	for _, w := range o.stats.Workers {
		require.False(t, w.Lost, "a recycled worker completes: %+v", w)
	}
}

// TestChaos kills a random worker every ~50ms while 20,000 jobs run,
// serving or still starting (then in its handshake, or building its
// scanners), whenever another worker serves: each job still ends in exactly
// one record, and the pool is back to full strength at the end. (With no
// worker serving it holds its fire: under -race a start takes 0.1-1s, and
// a run whose every start is killed cannot go on, which TestEveryStartFails
// covers.) The source holds back the second half of the jobs until a kill
// has ended a worker, so that the run cannot finish unshot on a fast machine.
func TestChaos(t *testing.T) {
	const jobs = 20000
	cfg := engine.Config{Scanners: []string{"brief"}, Workers: 2, Tasks: 2, Retries: 2, RetryDelay: time.Millisecond}
	release, shot := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fired := func() { once.Do(func() { close(shot) }) }
	t.Cleanup(fired) // a failed test does not leave the source waiting
	source := func(yield func(engine.Job) bool) {
		for j := range paths(jobs, "job-%d") {
			if j.Path == fmt.Sprintf("job-%d", jobs/2) {
				select {
				case <-shot:
				case <-release:
				}
			}
			if !yield(j) {
				return
			}
		}
		<-release // the run stays open until the pool has been counted
	}
	run, err := engine.Start(context.Background(), cfg, source)
	require.NoError(t, err)
	closeRelease := sync.OnceFunc(func() { close(release) })
	t.Cleanup(closeRelease)
	results := make(chan map[string]int, 1)
	var seen atomic.Int64
	go func() {
		count := map[string]int{}
		for r := range run.Results() {
			count[r.Path]++
			seen.Add(1)
		}
		results <- count
	}()
	kills, starting := 0, 0
	var before []int // the workers of the last round: started at least ~50ms ago
	// Shoots for 2 minutes at most, then lets the run end.
	for deadline := time.Now().Add(2 * time.Minute); seen.Load() < jobs && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		now := liveChildren()
		var old []int
		for _, pid := range now {
			if slices.Contains(before, pid) {
				old = append(old, pid)
			}
		}
		before = now
		if serving := run.Progress().Workers; serving > 0 && len(old) > 0 {
			if len(now) > serving {
				starting++ // maybe the victim: a worker that is not serving yet
			}
			_ = syscall.Kill(old[rand.IntN(len(old))], syscall.SIGKILL) // a worker this test started, by pid
			kills++
		}
		if run.Progress().Restarts > 0 {
			fired() // a worker ended, and its replacement serves
		}
	}
	require.Positive(t, run.Progress().Restarts, "a kill ended a serving worker, which was replaced: %d kills sent", kills)
	testwait.For(t, 30*time.Second, fmt.Sprintf("the pool back to %d workers", cfg.Workers), func() bool {
		return run.Progress().Workers == cfg.Workers && len(liveChildren()) == cfg.Workers
	})
	closeRelease()
	count := testwait.Chan(t, 2*time.Minute, "the end of the results", results)
	st, err := run.Wait()
	require.NoError(t, err)
	require.Len(t, count, jobs, "every job has a record")
	for p, n := range count {
		require.Equal(t, 1, n, "records for %s", p)
	}
	t.Logf("%d kills (%d while a worker was starting), %d workers replaced, %d failed starts, %d retries, %d errors",
		kills, starting, st.Restarts, st.StartFailures, st.Retries, st.Errors)
	requireNoChildren(t)
}

// liveChildren returns this process's children that are not zombies.
func liveChildren() []int {
	var live []int
	for _, pid := range proctest.Children(os.Getpid()) {
		if proctest.Alive(pid) {
			live = append(live, pid)
		}
	}
	return live
}
