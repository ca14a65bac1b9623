package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/worker"
	"github.com/forkscan/forkscan/worker/scan"
	_ "github.com/forkscan/forkscan/worker/scan/inventory"
)

// TestMain lets this test binary serve as the workers its tests start: the
// engine re-execs os.Executable() with the handshake cookie, and
// worker.Main serves instead of running the tests (go-plugin's own tests
// use the same pattern with TestHelperProcess).
func TestMain(m *testing.M) {
	claimStartFault()
	worker.Main()
	if os.Getenv(parentHelperEnv) != "" {
		parentHelper()
		return
	}
	quickRaceExit()
	goleak.VerifyTestMain(m)
}

// quickRaceExit spares the worker processes the second the race runtime
// sleeps at exit (its atexit_sleep_ms), which would otherwise be added to
// every cooperative stop under -race. Workers inherit the environment.
func quickRaceExit() {
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

// Scanners for tests only. They are registered in every process of the test
// binary, parent and workers alike.
func init() {
	register := func(name string, fn scan.ScannerFunc) {
		scan.Register(scan.Def{Name: name, New: func() (scan.Scanner, error) { return fn, nil }})
	}
	register("noop", func(context.Context, *scan.File) (scan.Report, error) { return scan.Report{}, nil })
	register("panicky", func(_ context.Context, f *scan.File) (scan.Report, error) {
		if strings.Contains(f.Path, "panic") {
			panic("test scanner panics on " + f.Path)
		}
		return scan.Report{}, nil
	})
	register("chatty", func(_ context.Context, f *scan.File) (scan.Report, error) {
		fmt.Println("chatty scanner writes to stdout:", f.Path)
		_, _ = syscall.Write(1, []byte("chatty scanner writes to fd 1\n"))
		return scan.Report{Findings: []scan.Finding{{Rule: "chatty", Message: "said something"}}}, nil
	})
	register("exiter", func(_ context.Context, f *scan.File) (scan.Report, error) {
		if strings.Contains(f.Path, "exit") {
			os.Exit(3)
		}
		return scan.Report{}, nil
	})
	register("slow", func(ctx context.Context, _ *scan.File) (scan.Report, error) {
		select {
		case <-time.After(2 * time.Millisecond):
			return scan.Report{}, nil
		case <-ctx.Done():
			return scan.Report{}, ctx.Err()
		}
	})
}
