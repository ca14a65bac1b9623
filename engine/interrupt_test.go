package engine_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/shutdown"
)

// TestInterruptStopsWorkersInPhases interrupts runs whose two workers each
// run one job of a kind: a wait that honours the Shutdown (the worker ends
// when asked), a hang that ignores it (SIGTERM ends the worker), and a hang
// that ignores SIGTERM too (SIGKILL does). Kill skips to SIGKILL even for
// workers that would have stopped when asked. A phase the workers are to
// end in is given a generous bound (a loaded machine takes more than 300ms
// to end a race-built process on SIGTERM, and more than a second to reap a
// SIGKILLed one); a phase they are to outlast, 300ms.
func TestInterruptStopsWorkersInPhases(t *testing.T) {
	generous := testwait.Bound(10 * time.Second)
	cases := []struct {
		job      string
		kill     bool          // call Run.Kill instead of cancelling the context
		grace    time.Duration // generous where the workers are to stop within it
		termWait time.Duration // the same
		by       shutdown.Phase
		exit     string
	}{
		{job: "wait", by: shutdown.Drain, exit: "exit status 0", grace: generous},
		{job: "stuck", by: shutdown.Term, exit: "signal: terminated", termWait: generous},
		{job: "deaf", by: shutdown.Kill, exit: "signal: killed"},
		{job: "wait", kill: true, by: shutdown.Kill, exit: "signal: killed"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s kill=%v", c.job, c.kill), func(t *testing.T) {
			dir := t.TempDir()
			jobs := []string{filepath.Join(dir, c.job+"-0"), filepath.Join(dir, c.job+"-1")}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := engine.Config{Scanners: []string{"faulty"}, Workers: 2, Tasks: 1, Window: 1,
				Grace: cmp.Or(c.grace, 300*time.Millisecond), TermWait: cmp.Or(c.termWait, 300*time.Millisecond), KillWait: generous}
			run, err := engine.Start(ctx, cfg, listed(jobs))
			require.NoError(t, err)
			go func() {
				// Both jobs running, one on each worker; if they never are,
				// the test fails, and the stop ends the run all the same.
				if err := waitForFiles(testwait.Bound(time.Minute), jobs, ".began"); err != nil {
					t.Error(err)
				}
				if c.kill {
					run.Kill()
				} else {
					cancel()
				}
			}()
			for r := range run.Results() {
				t.Errorf("a job cut short by the stop has a result: %+v", r)
			}
			st, err := run.Wait()
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, 2, st.Unfinished)
			require.Len(t, st.Stop.Processes, 2, st.Stop.String())
			require.Equal(t, 2, st.Stop.Count(c.by), st.Stop.String())
			require.Equal(t, c.kill, st.Stop.Hurried)
			for _, w := range st.Workers {
				require.Equal(t, c.exit, w.Exit, "worker %d", w.PID)
			}
			requireNoChildren(t)
		})
	}
}

func listed(list []string) func(func(engine.Job) bool) {
	return func(yield func(engine.Job) bool) {
		for _, p := range list {
			if !yield(engine.Job{Path: p}) {
				return
			}
		}
	}
}

// waitForFiles waits until path+suffix exists for every path, for bound at
// most: it may run on a goroutine other than the test's, so it returns its
// failure rather than failing the test.
func waitForFiles(bound time.Duration, paths []string, suffix string) error {
	deadline := time.Now().Add(bound)
	for _, p := range paths {
		for {
			if _, err := os.Stat(p + suffix); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("waited %v (%s=%g) for %s%s; it never came", bound, testwait.ScaleVar, testwait.Scale(), p, suffix)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}
