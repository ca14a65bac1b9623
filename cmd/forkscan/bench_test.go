package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
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
