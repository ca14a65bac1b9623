package engine_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
)

type pair struct{ path, scanner string }

// outcome is everything a run produced.
type outcome struct {
	results []engine.Result
	count   map[pair]int
	pids    map[int]bool
	stats   engine.Stats
	err     error
}

func (o outcome) only(p pair) engine.Result {
	for _, r := range o.results {
		if r.Path == p.path && r.Scanner == p.scanner {
			return r
		}
	}
	return engine.Result{}
}

// runAll runs jobs to the end and gathers the outcome. It fails the test if
// the run does not start, and checks that no worker process outlives it.
func runAll(t *testing.T, ctx context.Context, cfg engine.Config, jobs iter.Seq[engine.Job]) outcome {
	t.Helper()
	run, err := engine.Start(ctx, cfg, jobs)
	require.NoError(t, err)
	o := outcome{count: map[pair]int{}, pids: map[int]bool{}}
	for r := range run.Results() {
		o.results = append(o.results, r)
		o.count[pair{r.Path, r.Scanner}]++
		o.pids[r.WorkerPID] = true
	}
	o.stats, o.err = run.Wait()
	requireNoChildren(t)
	return o
}

// requireNoChildren checks /proc: this test process has no child left.
func requireNoChildren(t *testing.T) {
	t.Helper()
	left := proctest.WaitGone(proctest.Children(os.Getpid()), testwait.Bound(3*time.Second))
	require.Empty(t, left, "worker processes outlived their run")
}

func paths(n int, format string) iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		for i := range n {
			if !yield(engine.Job{Path: fmt.Sprintf(format, i)}) {
				return
			}
		}
	}
}

func files(t *testing.T, contents map[string]string) (string, iter.Seq[engine.Job]) {
	t.Helper()
	dir := t.TempDir()
	var jobs []engine.Job
	for name, body := range contents {
		path := dir + "/" + name
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		jobs = append(jobs, engine.Job{Path: path})
	}
	return dir, func(yield func(engine.Job) bool) {
		for _, j := range jobs {
			if !yield(j) {
				return
			}
		}
	}
}

func modes() []struct {
	name      string
	inProcess bool
} {
	return []struct {
		name      string
		inProcess bool
	}{{"processes", false}, {"in-process", true}}
}
