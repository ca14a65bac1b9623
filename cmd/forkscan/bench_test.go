package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/forkscan/forkscan/engine"
)

// cliCommand is the CLI with args, as a process of its own: the binary
// FORKSCAN_BIN names (make bench sets it to the one make build makes: what
// users run), else this test binary in CLI mode.
func cliCommand(args ...string) *exec.Cmd {
	if bin := os.Getenv("FORKSCAN_BIN"); bin != "" {
		return exec.Command(bin, args...)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	return cmd
}

// BenchmarkScanTree runs `forkscan scan` (the binary of cliCommand) over
// $(go env GOROOT)/src twice per iteration, side by side: with 2 in-process
// workers and with 2 worker processes (2 tasks each in both). It reports
// both wall times and their ratio (processes / in-process); the records go
// to /dev/null. The trees: Go's sources with the inventory scanner (the
// cost of the engine, the scanner being cheap) and with the default
// secrets scanner (what users run), and a tree of one file (the cost of
// starting and ending the workers).
func BenchmarkScanTree(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	one := b.TempDir()
	if err := os.WriteFile(filepath.Join(one, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, root, scanner string
	}{{"inventory", src, "inventory"}, {"secrets", src, "secrets"}, {"one-file", one, "secrets"}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			scanOnce := func(extra ...string) time.Duration {
				args := append([]string{"scan", "-w", "2", "--tasks", "2", "-s", c.scanner, "--no-progress", "-o", os.DevNull}, extra...)
				return timed(b, cliCommand(append(args, c.root)...), -1)
			}
			scanOnce("--in-process") // warm the page cache
			scanOnce()
			b.ResetTimer()
			var in, multi time.Duration
			for i := range b.N {
				if i%2 == 0 { // alternate the order, so neither mode always runs second
					in += scanOnce("--in-process")
					multi += scanOnce()
				} else {
					multi += scanOnce()
					in += scanOnce("--in-process")
				}
			}
			b.ReportMetric(in.Seconds()/float64(b.N), "in-process-s/op")
			b.ReportMetric(multi.Seconds()/float64(b.N), "processes-s/op")
			b.ReportMetric(multi.Seconds()/in.Seconds(), "processes/in-process")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkWorkerStart measures the start of worker processes of the binary
// FORKSCAN_BIN names (make bench: the one make build makes), each from its
// spawn until it is ready (handshake, Configure, scanners built): one
// alone, and 2 and 8 started together. With the inventory scanner, whose
// construction costs nothing, it is the cost of a worker process; with
// secrets, that plus building gitleaks' detector.
func BenchmarkWorkerStart(b *testing.B) {
	bin := os.Getenv("FORKSCAN_BIN")
	if bin == "" {
		b.Skip("FORKSCAN_BIN names no forkscan binary (make bench builds one)")
	}
	if !filepath.IsAbs(bin) { // the test runs in its package's directory
		b.Fatalf("FORKSCAN_BIN=%s: an absolute path, please", bin)
	}
	for _, scanner := range []string{"inventory", "secrets"} {
		for _, n := range []int{1, 2, 8} {
			b.Run(fmt.Sprintf("%s/workers=%d", scanner, n), func(b *testing.B) {
				var each, all time.Duration
				for range b.N {
					st := startWorkers(b, bin, scanner, n)
					all += st.StartTime
					for _, w := range st.Workers {
						each += w.Start
					}
				}
				b.ReportMetric(float64(each.Microseconds())/1e3/float64(b.N*n), "ms/worker")
				b.ReportMetric(float64(all.Microseconds())/1e3/float64(b.N), "ms-all-ready")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// startWorkers starts n workers of bin, waits until every one is ready,
// and ends the run.
func startWorkers(b *testing.B, bin, scanner string, n int) engine.Stats {
	var started atomic.Pointer[engine.Run]
	jobs := func(yield func(engine.Job) bool) { // one per worker: each is wanted
		for range n {
			if !yield(engine.Job{Path: os.DevNull}) {
				return
			}
		}
		// The run open until all are ready; a minute at most, so that
		// workers that never start fail the benchmark rather than hang it.
		for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Microsecond) {
			if r := started.Load(); r != nil && r.Progress().Workers >= n {
				return
			}
		}
	}
	cfg := engine.Config{Scanners: []string{scanner}, Workers: n, Tasks: 1, Command: func() *exec.Cmd { return exec.Command(bin) }}
	run, err := engine.Start(context.Background(), cfg, jobs)
	if err != nil {
		b.Fatal(err)
	}
	started.Store(run)
	st, err := run.Wait()
	if err != nil || len(st.Workers) != n {
		b.Fatalf("%d workers ready of %d: %v", len(st.Workers), n, err)
	}
	return st
}

// BenchmarkInterrupt measures, per iteration, the time from SIGINT to the
// exit of a CLI process (the binary of cliCommand: make bench's, the one
// make build makes) whose 8 worker processes are busy with jobs that
// honour their cancel: each a run of an exec tool that sleeps, killed
// when its job is cancelled. It is the whole phased stop, the records
// written and the summary printed. The setup (start, every worker running
// the tool) is not timed.
func BenchmarkInterrupt(b *testing.B) {
	root := b.TempDir()
	for i := range 5000 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var took time.Duration
	for range b.N {
		marks := b.TempDir()
		tool := filepath.Join(b.TempDir(), "busy")
		// The tool marks its worker (its parent) as busy, then sleeps.
		if err := os.WriteFile(tool, []byte("#!/bin/sh\n: > \""+marks+"/$PPID\"\nexec sleep 60\n"), 0o755); err != nil {
			b.Fatal(err)
		}
		c := startCommand(b, cliCommand("scan", "-s", "exec", "--exec-cmd", tool+" {}", "-w", "8", "--no-progress", "-o", filepath.Join(b.TempDir(), "out.jsonl"), root))
		waitForMarks(b, marks, 8) // every worker busy
		c.interrupt(b, syscall.SIGINT)
		if code := c.cmd.ProcessState.ExitCode(); code != exitInterrupted {
			b.Fatalf("exit code %d:\n%s", code, c.stderr.String())
		}
		took += c.took
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms-sigint-to-exit")
	b.ReportMetric(0, "ns/op") // the loop's wall time is mostly setup
}
