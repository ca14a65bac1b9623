package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
)

// grouper is a test-only batch scanner: its facts say how many files the
// call that saw a file had and which process made it. A batch that holds
// a file named panic* panics. When groupersEnv names a directory, a batch
// leaves its process's mark there and waits (testwait.Bound(10s) at most) until two
// processes have: so that a test can see batches on every worker however
// fast the first one is.
type grouper struct{}

const groupersEnv = "FORKSCAN_TEST_GROUPERS"

func waitForTwo() {
	dir := os.Getenv(groupersEnv)
	if dir == "" {
		return
	}
	_ = os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644)
	for deadline := time.Now().Add(testwait.Bound(10 * time.Second)); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if marks, _ := os.ReadDir(dir); len(marks) >= 2 {
			return
		}
	}
}

type grouped struct {
	Batch int
	PID   int
}

func (grouper) Scan(context.Context, *scan.File) (scan.Report, error) {
	return scan.Report{Data: grouped{1, os.Getpid()}}, nil
}

func (grouper) ScanBatch(_ context.Context, files []*scan.File) []scan.Outcome {
	waitForTwo()
	out := make([]scan.Outcome, len(files))
	for i, f := range files {
		if strings.HasPrefix(f.Path, "panic") {
			panic("grouper cannot take " + f.Path)
		}
		out[i].Report.Data = grouped{len(files), os.Getpid()}
	}
	return out
}

func init() {
	scan.Register(scan.Def{Name: "grouper", Batch: 16, New: func() (scan.Scanner, error) { return grouper{}, nil }})
}

// jobsOf makes n jobs named name-i; every third is narrowed to scanners.
func jobsOf(n int, name string, narrowed ...string) iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		for i := range n {
			j := engine.Job{Path: fmt.Sprintf("%s-%d", name, i)}
			if i%3 == 0 {
				j.Scanners = narrowed
			}
			if !yield(j) {
				return
			}
		}
	}
}

// A batch scanner's jobs are grouped into calls of several files, on
// every worker, beside a scanner that works file by file, and each job
// still ends in exactly one result per scanner it was to get.
func TestBatchScannerGroupsJobs(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			if !m.inProcess {
				t.Setenv(groupersEnv, t.TempDir())
			}
			cfg := engine.DefaultConfig()
			cfg.Scanners, cfg.Workers, cfg.Tasks, cfg.InProcess = []string{"noop", "grouper"}, 2, 2, m.inProcess
			o := runAll(t, context.Background(), cfg, jobsOf(300, "job", "grouper"))
			require.NoError(t, o.err)
			most, pids := 0, map[int]bool{}
			for p, n := range o.count {
				require.Equal(t, 1, n, "%v", p)
			}
			for _, r := range o.results {
				require.Equal(t, engine.StatusOK, r.Status, "%+v", r)
				if r.Scanner != "grouper" {
					continue
				}
				var g grouped
				require.NoError(t, json.Unmarshal(r.Data, &g))
				require.LessOrEqual(t, g.Batch, 16, "the scanner's Batch is the most a call gets")
				most = max(most, g.Batch)
				pids[g.PID] = true
			}
			require.Len(t, o.results, 300+200, "grouper on every job, noop on the 200 not narrowed")
			require.Greater(t, most, 1, "calls of several files")
			if !m.inProcess {
				require.Len(t, pids, 2, "batches on every worker")
			}
		})
	}
}

// When a batch scanner is a job's only work, a worker runs what it holds
// in one call, not one per task: every call of a tool pays its start-up
// again. The jobs are dealt to the workers in even shares.
func TestBatchScannerAloneMakesOneCallPerWorker(t *testing.T) {
	t.Setenv(groupersEnv, t.TempDir())
	cfg := engine.DefaultConfig()
	cfg.Scanners, cfg.Workers, cfg.Tasks = []string{"grouper"}, 2, 2
	o := runAll(t, context.Background(), cfg, jobsOf(30, "job"))
	require.NoError(t, o.err)
	require.Len(t, o.results, 30)
	perWorker := map[int]int{} // pid → files its calls had
	for _, r := range o.results {
		require.Equal(t, engine.StatusOK, r.Status, "%+v", r)
		var g grouped
		require.NoError(t, json.Unmarshal(r.Data, &g))
		require.Equal(t, 15, g.Batch, "%s: one call of half the files", r.Path)
		perWorker[g.PID]++
	}
	require.Len(t, perWorker, 2, "a call on each worker: %v", perWorker)
}

// A batch scanner that panics costs its batch an error record each, not
// the worker.
func TestBatchScannerPanicIsAnError(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.Scanners, cfg.Workers, cfg.Tasks = []string{"grouper"}, 1, 1
	jobs := func(yield func(engine.Job) bool) {
		for _, p := range []string{"a", "b", "panic-c", "d", "e"} {
			if !yield(engine.Job{Path: p}) {
				return
			}
		}
	}
	o := runAll(t, context.Background(), cfg, jobs)
	require.NoError(t, o.err)
	require.Len(t, o.results, 5)
	for _, r := range o.results {
		if r.Status == engine.StatusError {
			require.ErrorIs(t, r.Error, scan.ToolError)
			require.Contains(t, r.Error.Message, "panicked")
		}
	}
	require.Equal(t, 0, o.stats.Restarts, "the worker lives on")
	require.Contains(t, o.results, o.only(pair{"panic-c", "grouper"}))
	require.Equal(t, engine.StatusError, o.only(pair{"panic-c", "grouper"}).Status)
}

// A binary file is skipped by a batch scanner that does not take binary
// files, in a batch as alone, as any scanner skips it.
func TestBatchScannerSkipsBinaryFiles(t *testing.T) {
	contents := map[string]string{}
	for i := range 20 {
		contents[fmt.Sprintf("text-%d", i)] = "plain\n"
		contents[fmt.Sprintf("bin-%d", i)] = "\x00\x01binary"
	}
	_, jobs := files(t, contents)
	cfg := engine.DefaultConfig()
	cfg.Scanners, cfg.Workers, cfg.Tasks = []string{"todo", "grouper"}, 1, 2
	o := runAll(t, context.Background(), cfg, jobs)
	require.NoError(t, o.err)
	require.Len(t, o.results, 80)
	for _, r := range o.results {
		binary := strings.HasPrefix(filepath.Base(r.Path), "bin-")
		require.Equal(t, binary, r.Status == engine.StatusSkipped, "%s %s: %+v", r.Path, r.Scanner, r)
		if binary {
			require.Equal(t, "binary file", r.Reason)
		}
	}
}
