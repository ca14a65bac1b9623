package sched_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/internal/sched"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// policy is the scheduling policy in a /proc stat file's text (its 41st
// field).
func policy(t *testing.T, stat []byte) int {
	t.Helper()
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	p, err := strconv.Atoi(f[41-3])
	if err != nil {
		t.Fatalf("stat %q: %v", stat, err)
	}
	return p
}

// TestBatch: every thread of the process is batch after Batch, those
// already running (goroutines locked to threads of their own) and those
// started after it, and so is a process it runs.
func TestBatch(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-release
		})
	}
	defer wg.Wait()
	defer close(release)
	if err := sched.Batch(); err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { // a thread started after
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		<-release
	})
	stats, _ := filepath.Glob("/proc/self/task/*/stat")
	if len(stats) < 5 {
		t.Fatalf("%d threads, want 5 at least", len(stats))
	}
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue // a thread that ended
		}
		if p := policy(t, b); p != unix.SCHED_BATCH {
			t.Errorf("%s: policy %d, want SCHED_BATCH (%d)", s, p, unix.SCHED_BATCH)
		}
	}
	out, err := exec.Command("cat", "/proc/self/stat").Output()
	if err != nil {
		t.Fatal(err)
	}
	if p := policy(t, out); p != unix.SCHED_BATCH {
		t.Errorf("a process run after: policy %d, want SCHED_BATCH", p)
	}
}
