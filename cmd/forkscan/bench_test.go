package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScanTree runs `forkscan scan -s inventory` over $(go env GOROOT)/src
// twice per iteration, side by side: with 2 in-process workers and with 2
// worker processes (2 tasks each in both). It reports both wall times and
// their ratio (multi-process / in-process); the records go to io.Discard.
func BenchmarkScanTree(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	scanOnce := func(extra ...string) time.Duration {
		args := append([]string{"scan", "-w", "2", "--tasks", "2", "-s", "inventory"}, extra...)
		start := time.Now()
		if code := execute(context.Background(), append(args, root), io.Discard, io.Discard); code != exitOK {
			b.Fatalf("scan exited %d", code)
		}
		return time.Since(start)
	}
	scanOnce("--in-process") // warm the page cache
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
}

// BenchmarkInterrupt measures, per iteration, the time from SIGINT to the
// exit of a CLI process (this test binary as the CLI) whose 8 worker
// processes are busy with jobs that honour their cancel: the whole phased
// stop, the records written and the summary printed. The setup (start,
// workers busy) is not timed.
func BenchmarkInterrupt(b *testing.B) {
	root := b.TempDir()
	for i := range 5000 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var took time.Duration
	for range b.N {
		c := startCLI(b, "scan", "-s", "sluggish", "-w", "8", "-o", filepath.Join(b.TempDir(), "out.jsonl"), root)
		c.waitForWorkers(b, 8)
		time.Sleep(200 * time.Millisecond) // every worker busy
		c.interrupt(b, syscall.SIGINT)
		if code := c.cmd.ProcessState.ExitCode(); code != exitInterrupted {
			b.Fatalf("exit code %d:\n%s", code, c.stderr.String())
		}
		took += c.took
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms-sigint-to-exit")
	b.ReportMetric(0, "ns/op") // the loop's wall time is mostly setup
}
