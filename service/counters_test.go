package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker/scan"
)

// crashEnv names a directory for the crasher scanner: the first time it
// meets a file called crash.txt it leaves "crashed" there and ends its
// worker process (the parent retries the job on a replacement); on
// hold.txt it waits, as gate does, until "release" appears.
const crashEnv = "FORKSCAN_TEST_CRASH"

func init() {
	scan.Register(scan.Def{Name: "crasher", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			dir := os.Getenv(crashEnv)
			switch {
			case dir == "":
			case filepath.Base(f.Path) == "crash.txt":
				if _, err := os.Stat(filepath.Join(dir, "crashed")); err != nil {
					_ = os.WriteFile(filepath.Join(dir, "crashed"), nil, 0o644)
					os.Exit(3)
				}
			case filepath.Base(f.Path) == "hold.txt":
				for {
					if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
						break
					}
					select {
					case <-ctx.Done():
						return scan.Report{}, ctx.Err()
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			return scan.Report{}, nil
		}), nil
	}})
}

// The counters of bytes, retries and worker restarts move while a scan
// runs: a worker dies on crash.txt (its jobs retried, a worker started in
// its place) while hold.txt keeps the scan running, and /metrics shows the
// bytes of the files done, the retries and the restart before hold.txt is
// let go. At the end they hold what the scan did, each counted once: the
// bytes of every file, and the scan's own retries and replacements.
func TestCountersMoveWhileRunning(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(crashEnv, dir)
	f := start(t, service.Config{}, "")
	files := numbered(40)
	files["crash.txt"] = "crash\n"
	files["hold.txt"] = strings.Repeat("the largest file: scanned first, and held\n", 10)
	tree(t, f.root, files)
	var total int64
	for _, body := range files {
		total += int64(len(body))
	}
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"crasher"}})

	var during map[string]float64
	waitUntil(t, "the counters of bytes, retries and restarts to move while the scan runs", func() bool {
		during = f.metrics(t)
		return during["forkscan_bytes_scanned_total"] > 0 && during["forkscan_job_retries_total"] > 0 &&
			during["forkscan_worker_restarts_total"] > 0
	})
	require.Equal(t, service.Running, f.get(t, id).State, "hold.txt is held: the scan cannot have ended")
	require.Less(t, during["forkscan_bytes_scanned_total"], float64(total), "hold.txt is not done")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "release"), nil, 0o644))
	sc := f.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	end := f.metrics(t)
	require.Equal(t, float64(total), end["forkscan_bytes_scanned_total"])
	require.Equal(t, float64(sc.Progress.Retries), end["forkscan_job_retries_total"])
	require.Equal(t, float64(sc.Progress.WorkersLost), end["forkscan_worker_restarts_total"])
	require.NotNil(t, sc.Summary)
	require.Equal(t, total, sc.Summary.Bytes)
	require.Equal(t, sc.Progress.Retries, sc.Summary.Retries)
	require.Equal(t, sc.Progress.WorkersLost, sc.Summary.WorkersReplaced)
}
