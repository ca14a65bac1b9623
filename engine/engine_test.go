package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/shutdown"
	"github.com/forkscan/forkscan/worker/scan"
)

func TestEveryJobGetsOneResultPerScanner(t *testing.T) {
	const n = 3000
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"noop", "slow"}, Workers: 2, Tasks: 2, Window: 8, InProcess: m.inProcess}
			o := runAll(t, context.Background(), cfg, paths(n, "job-%d"))
			require.NoError(t, o.err)
			require.Len(t, o.count, 2*n)
			for p, c := range o.count {
				require.Equal(t, 1, c, "results for %v", p)
			}
			assert.Equal(t, engine.Stats{Jobs: n, Results: 2 * n, OK: 2 * n}, trim(o.stats))
			if !m.inProcess {
				assert.GreaterOrEqual(t, len(o.pids), 2, "results from distinct worker processes")
				assert.NotContains(t, o.pids, os.Getpid())
			}
		})
	}
}

// trim keeps the counts of Stats, for comparison.
func trim(s engine.Stats) engine.Stats {
	return engine.Stats{Jobs: s.Jobs, Results: s.Results, OK: s.OK, Errors: s.Errors, Skipped: s.Skipped, Findings: s.Findings, Unfinished: s.Unfinished}
}

func TestPanickingScannerCostsOneResult(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			jobs := paths(200, "file-%d")
			withPanics := func(yield func(engine.Job) bool) {
				for j := range jobs {
					if strings.HasSuffix(j.Path, "7") {
						j.Path += "-panic"
					}
					if !yield(j) {
						return
					}
				}
			}
			// Retries would run a retryable failure again: a panic must
			// not be one, so its record says it ran once.
			cfg := engine.Config{Scanners: []string{"panicky", "noop"}, Workers: 2, InProcess: m.inProcess,
				Retries: 2, RetryDelay: time.Millisecond}
			o := runAll(t, context.Background(), cfg, withPanics)
			require.NoError(t, o.err)
			require.Len(t, o.results, 400)
			panicked := 0
			for _, r := range o.results {
				if strings.HasSuffix(r.Path, "-panic") && r.Scanner == "panicky" {
					panicked++
					require.Equal(t, engine.StatusError, r.Status)
					require.ErrorIs(t, r.Error, scan.ToolError)
					require.Contains(t, r.Error.Message, "scanner panicked")
					require.Equal(t, 1, r.Attempts, "%s: a panic is not retried", r.Path)
					require.False(t, r.Error.Retryable, "%s: a panic is not retryable", r.Path)
					continue
				}
				require.Equal(t, engine.StatusOK, r.Status, "%s/%s: %v", r.Path, r.Scanner, r.Error)
			}
			require.Equal(t, 20, panicked)
			require.Zero(t, o.stats.Retries, "nothing was run again")
			for _, w := range o.stats.Workers {
				require.False(t, w.Lost, "a panic in a scanner must not cost the worker")
			}
		})
	}
}

func TestInventoryFacts(t *testing.T) {
	const goSrc, bin = "package a\n\nfunc A() {}\n", "\x00\x01\x02"
	dir, jobs := files(t, map[string]string{"a.go": goSrc, "b.bin": bin, "empty": ""})
	o := runAll(t, context.Background(), engine.Config{Scanners: []string{"inventory"}, Workers: 2}, jobs)
	require.NoError(t, o.err)
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	cases := []struct {
		name string
		want map[string]any
	}{
		{"a.go", map[string]any{"size": 23.0, "lines": 3.0, "binary": false, "language": "Go", "sha256": sum(goSrc)}},
		{"b.bin", map[string]any{"size": 3.0, "lines": 0.0, "binary": true, "sha256": sum(bin)}},
		{"empty", map[string]any{"size": 0.0, "lines": 0.0, "binary": false, "sha256": sum("")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.only(pair{dir + "/" + c.name, "inventory"})
			require.Equal(t, engine.StatusOK, r.Status, "%v", r.Error)
			var got map[string]any
			require.NoError(t, json.Unmarshal(r.Data, &got))
			require.Equal(t, c.want, got)
		})
	}
}

func TestWorkerOutputDoesNotCorruptTheProtocol(t *testing.T) {
	o := runAll(t, context.Background(), engine.Config{Scanners: []string{"chatty"}, Workers: 2}, paths(100, "p%d"))
	require.NoError(t, o.err)
	require.Len(t, o.results, 100)
	for _, r := range o.results {
		require.Equal(t, engine.StatusOK, r.Status)
		require.Len(t, r.Findings, 1)
	}
	require.Equal(t, 100, o.stats.Findings)
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  engine.Config
		want error
	}{
		{"no scanners", engine.Config{}, engine.ErrConfig},
		{"unknown scanner", engine.Config{Scanners: []string{"nope"}}, engine.ErrUnknownScanner},
		{"twice", engine.Config{Scanners: []string{"noop", "noop"}}, engine.ErrConfig},
		{"negative workers", engine.Config{Scanners: []string{"noop"}, Workers: -1}, engine.ErrConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := engine.Start(context.Background(), c.cfg, paths(1, "%d"))
			require.ErrorIs(t, err, c.want)
			require.ErrorIs(t, err, engine.ErrConfig)
		})
	}
}

func TestWorkerThatFailsItsHandshake(t *testing.T) {
	cases := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"prints garbage", func() *exec.Cmd { return exec.Command("/bin/sh", "-c", "echo this is not a handshake") }},
		{"exits at once", func() *exec.Cmd { return exec.Command("/bin/sh", "-c", "exit 4") }},
		{"never answers", func() *exec.Cmd { return exec.Command("/bin/sh", "-c", "exec sleep 30") }},
		{"does not exist", func() *exec.Cmd { return exec.Command("/nonexistent/forkscan-worker") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"noop"}, Workers: 2, Command: c.cmd, StartTimeout: 500 * time.Millisecond, LostAfter: 2 * time.Second}
			// A failed handshake must not hang: a start still going on at
			// the bound ends with the context's error instead.
			ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound(time.Minute))
			defer cancel()
			_, err := engine.Start(ctx, cfg, paths(1, "%d"))
			require.ErrorIs(t, err, engine.ErrWorkerStart)
			require.ErrorIs(t, err, engine.ErrHandshake)
			requireNoChildren(t)
		})
	}
}

func TestUnknownJobScannerIsAnErrorRecord(t *testing.T) {
	jobs := func(yield func(engine.Job) bool) {
		_ = yield(engine.Job{Path: "x", Scanners: []string{"noop"}}) &&
			yield(engine.Job{Path: "y", Scanners: []string{"inventory"}})
	}
	o := runAll(t, context.Background(), engine.Config{Scanners: []string{"noop"}, Workers: 1}, jobs)
	require.NoError(t, o.err)
	require.Equal(t, engine.StatusOK, o.only(pair{"x", "noop"}).Status)
	bad := o.only(pair{"y", "inventory"})
	require.Equal(t, engine.StatusError, bad.Status)
	require.True(t, errors.Is(bad.Error, scan.InvalidInput))
}

// TestLostWorkerIsReplacedAndTheRunGoesOn: a job that kills its worker on
// every attempt kills three workers, two more than the run started with, so
// the run can end well only if replacements ran: every other job is run,
// once, by a worker, and the run ends without error. (One task a worker: a
// death's blame is exact, no bystander is charged.)
func TestLostWorkerIsReplacedAndTheRunGoesOn(t *testing.T) {
	jobs := func(yield func(engine.Job) bool) {
		for j := range paths(500, "job-%d") {
			if j.Path == "job-100" {
				j.Path = "job-exit"
			}
			if !yield(j) {
				return
			}
		}
	}
	cfg := engine.Config{Scanners: []string{"exiter"}, Workers: 2, Tasks: 1, Window: 4, Retries: 2, RetryDelay: time.Millisecond}
	o := runAll(t, context.Background(), cfg, jobs)
	require.NoError(t, o.err, "the run went on after its workers died")
	require.Len(t, o.count, 500, "every job has a record")
	for p, c := range o.count {
		require.Equal(t, 1, c, "results for %v", p)
	}
	crashed := o.only(pair{"job-exit", "exiter"})
	require.Equal(t, engine.StatusError, crashed.Status)
	require.ErrorIs(t, crashed.Error, scan.ProcessCrash)
	require.Equal(t, 3, crashed.Attempts, "%v", crashed.Error)
	for _, r := range o.results {
		if r.Path != "job-exit" {
			require.Equal(t, engine.StatusOK, r.Status, "%s: %v", r.Path, r.Error)
			require.Equal(t, 1, r.Attempts, "%s: not charged for a death it did not cause", r.Path)
		}
	}
	require.GreaterOrEqual(t, o.stats.Restarts, 1, "three deaths among two first workers: a replacement was ready")
	lost := 0
	for _, w := range o.stats.Workers {
		if w.Lost {
			lost++
		}
	}
	require.Equal(t, 3, lost, "a worker died on each attempt: %+v", o.stats.Workers)
}

func TestInterruptKeepsResultsAndLeavesNoProcess(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := engine.Config{Scanners: []string{"slow"}, Workers: 2, Tasks: 2, InProcess: m.inProcess,
				Grace: testwait.Bound(10 * time.Second)} // generous: the workers are to stop within it, when asked
			run, err := engine.Start(ctx, cfg, paths(100000, "job-%d"))
			require.NoError(t, err)
			seen := map[string]int{}
			for r := range run.Results() {
				seen[r.Path]++
				if len(seen) == 50 {
					cancel()
				}
			}
			st, err := run.Wait()
			require.ErrorIs(t, err, context.Canceled)
			for p, c := range seen {
				require.Equal(t, 1, c, "results for %s", p)
			}
			require.Equal(t, st.Jobs, st.Results+st.Unfinished)
			require.Positive(t, st.Unfinished)
			if !m.inProcess {
				require.Equal(t, len(st.Stop.Processes), st.Stop.Count(shutdown.Drain), "the workers stopped when asked: %v", st.Stop)
			}
			requireNoChildren(t)
		})
	}
}
