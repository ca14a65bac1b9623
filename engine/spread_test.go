package engine_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// sleepy sleeps as long as its job's path says: "sleep-MS-…".
func init() {
	scan.Register(scan.Def{Name: "sleepy", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			ms, _ := strconv.Atoi(strings.Split(f.Path, "-")[1])
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
				return scan.Report{}, nil
			case <-ctx.Done():
				return scan.Report{}, ctx.Err()
			}
		}), nil
	}})
}

// slowJobs yields n jobs of ms each to workers of one task: one per
// worker at first (workers start as the jobs call for them), then the rest
// once every worker of run is ready, so that which worker runs what
// depends on dispatch alone, not on which worker happened to start first.
func slowJobs(n, ms, workers int, run *atomic.Pointer[engine.Run]) func(func(engine.Job) bool) {
	return func(yield func(engine.Job) bool) {
		for i := range n {
			for i == workers && (run.Load() == nil || run.Load().Progress().Workers < workers) {
				time.Sleep(time.Millisecond)
			}
			if !yield(engine.Job{Path: fmt.Sprintf("sleep-%d-%d", ms, i)}) {
				return
			}
		}
	}
}

// TestSlowJobsReachEveryWorker checks that slow jobs are spread over every
// worker instead of filling the window of the first: which worker ran
// each job, not how long the run took.
func TestSlowJobsReachEveryWorker(t *testing.T) {
	cases := []struct {
		jobs, ms, workers, least int
	}{
		{24, 200, 3, 6},  // 8 each at best
		{300, 20, 4, 50}, // 75 each at best
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d jobs of %dms on %d workers", c.jobs, c.ms, c.workers), func(t *testing.T) {
			var started atomic.Pointer[engine.Run]
			cfg := engine.Config{Scanners: []string{"sleepy"}, Workers: c.workers, Tasks: 1}
			run, err := engine.Start(context.Background(), cfg, slowJobs(c.jobs, c.ms, c.workers, &started))
			require.NoError(t, err)
			started.Store(run)
			ran := map[int]int{}
			for r := range run.Results() {
				require.Equal(t, engine.StatusOK, r.Status, "%v", r.Error)
				ran[r.WorkerPID]++
			}
			_, err = run.Wait()
			require.NoError(t, err)
			require.Len(t, ran, c.workers, "every worker ran jobs: %v", ran)
			for pid, n := range ran {
				require.GreaterOrEqual(t, n, c.least, "worker %d ran %d of %d jobs: %v", pid, n, c.jobs, ran)
			}
			requireNoChildren(t)
		})
	}
}

// TestWorkersStartAsJobsCallForThem: a run of 4 workers of 2 tasks given 3
// jobs starts 2 worker processes (the first at once, the second for the
// third job), not 4 that would build their scanners for nothing.
func TestWorkersStartAsJobsCallForThem(t *testing.T) {
	dir := t.TempDir()
	cfg := engine.Config{Scanners: []string{"noop"}, Workers: 4, Tasks: 2, Command: faultyStarts(t, "none", 0, 0, dir)}
	o := runAll(t, context.Background(), cfg, paths(3, "job-%d"))
	require.NoError(t, o.err)
	require.Len(t, o.count, 3)
	spawned, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.LessOrEqual(t, len(spawned), 2, "worker processes spawned for 3 jobs")
}
