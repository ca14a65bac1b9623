package engine_test

import (
	"context"
	"fmt"
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

// slowJobs yields n jobs of ms each, once every worker of run is ready, so
// that which worker runs what depends on dispatch alone, not on which
// worker happened to start first.
func slowJobs(n, ms, workers int, run *atomic.Pointer[engine.Run]) func(func(engine.Job) bool) {
	return func(yield func(engine.Job) bool) {
		for run.Load() == nil || run.Load().Progress().Workers < workers {
			time.Sleep(time.Millisecond)
		}
		for i := range n {
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
			cfg := engine.Config{Scanners: []string{"sleepy"}, Workers: c.workers, Tasks: 1, JobTimeout: -1}
			run, err := engine.Start(context.Background(), cfg, slowJobs(c.jobs, c.ms, c.workers, &started))
			require.NoError(t, err)
			started.Store(run)
			ran := map[int]int{}
			for r := range run.Results() {
				require.Equal(t, engine.StatusOK, r.Status, "%v", r.Err)
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
