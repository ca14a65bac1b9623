package engine_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/worker/scan"
)

// policies is what the policies scanner reports: the scheduling policy
// of each thread of its process, and of a process it runs.
type policies struct {
	Threads []int `json:"threads"`
	Child   int   `json:"child"`
}

func init() {
	scan.Register(scan.Def{Name: "policies", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			child := exec.CommandContext(ctx, "sleep", "0.05")
			if err := child.Start(); err != nil {
				return scan.Report{}, err
			}
			var seen policies
			seen.Child = proctest.ThreadPolicies(child.Process.Pid)[child.Process.Pid]
			_ = child.Wait()
			seen.Threads = slices.Collect(maps.Values(proctest.ThreadPolicies(os.Getpid())))
			return scan.Report{Data: seen}, nil
		}), nil
	}})
}

// TestWorkersRunAsBatch: a worker process puts itself under the batch
// scheduling policy, every thread of it and the processes it runs, while
// the program that embeds the engine keeps its own policy.
func TestWorkersRunAsBatch(t *testing.T) {
	require.NotContains(t, slices.Collect(maps.Values(proctest.ThreadPolicies(os.Getpid()))), unix.SCHED_BATCH, "the test starts under another policy")
	o := runAll(t, context.Background(), engine.Config{Scanners: []string{"policies"}, Workers: 2}, paths(20, "f-%d"))
	require.NoError(t, o.err)
	require.Len(t, o.results, 20)
	for _, r := range o.results {
		var seen policies
		require.NoError(t, json.Unmarshal(r.Data, &seen), "%s", r.Data)
		require.NotEmpty(t, seen.Threads)
		for _, p := range append(seen.Threads, seen.Child) {
			require.Equal(t, unix.SCHED_BATCH, p, "worker %d: %+v", r.WorkerPID, seen)
		}
	}
	require.NotContains(t, slices.Collect(maps.Values(proctest.ThreadPolicies(os.Getpid()))), unix.SCHED_BATCH, "the embedding program's policy is its own")
}
