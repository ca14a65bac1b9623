package service_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker/scan"
)

// orderEnv names a file the noting scanner appends the path of each file
// it is handed to, one a line: the order the server ran its scans in.
const orderEnv = "FORKSCAN_TEST_ORDER"

// noting notes each file it is handed in $FORKSCAN_TEST_ORDER, then does
// as gate does: holds hold.txt until the test releases it.
func init() {
	scan.Register(scan.Def{Name: "noting", New: func() (scan.Scanner, error) {
		gate, _ := scan.Lookup("gate")
		held, err := gate.New()
		if err != nil {
			return nil, err
		}
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			if file, err := os.OpenFile(os.Getenv(orderEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				_, _ = file.WriteString(f.Path + "\n")
				_ = file.Close()
			}
			return held.Scan(ctx, f)
		}), nil
	}})
}

// A stop (Run's context ended, as SIGTERM and SIGINT end it in forkscan
// serve) leaves the running scan interrupted in the database, the queued
// ones queued; the next start carries them all on, oldest first: the
// interrupted one (submitted first), then the queued ones in the order
// they were submitted, which is neither their paths' order nor their
// ids'. The order is the order the one worker was handed their files in,
// not a time. The interrupted scan was stopped cleanly: carried on once,
// no crash counted.
func TestStopInterruptsAndQueueCarriesOnOldestFirst(t *testing.T) {
	gate, order := t.TempDir(), filepath.Join(t.TempDir(), "order")
	t.Setenv(gateEnv, gate)
	t.Setenv(orderEnv, order)
	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data}, "")
	scanOf := func(name, file string) service.Request {
		dir := filepath.Join(f.root, name)
		tree(t, dir, map[string]string{file: "x\n"})
		return service.Request{Paths: []string{dir}, Scanners: []string{"noting"}}
	}
	running := f.submit(t, scanOf("running", "hold.txt"))
	waitFor(t, filepath.Join(gate, "holding"))
	queue := []string{"q-c.txt", "q-a.txt", "q-b.txt"} // in the order submitted
	var queued []string
	for _, file := range queue {
		queued = append(queued, f.submit(t, scanOf(strings.TrimSuffix(file, ".txt"), file)))
	}
	require.Equal(t, service.Running, f.get(t, running).State)
	for _, id := range queued {
		require.Equal(t, service.Queued, f.get(t, id).State)
	}

	f.stop()
	states := statesIn(t, filepath.Join(data, "forkscan.db"))
	require.Equal(t, service.Interrupted, states[running], "the running scan, after a stop")
	for _, id := range queued {
		require.Equal(t, service.Queued, states[id], "a queued scan, after a stop")
	}
	require.Equal(t, "hold.txt\n", readOrder(t, order), "nothing but the running scan ran before the stop")
	require.NoError(t, os.Remove(order))
	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))

	g := startOver(t, service.Config{Data: data}, "", f.root)
	for _, id := range append([]string{running}, queued...) {
		require.Equal(t, service.Done, g.wait(t, id).State)
	}
	require.Equal(t, "hold.txt\n"+strings.Join(queue, "\n")+"\n", readOrder(t, order),
		"carried on oldest first: the interrupted scan, then the queue as submitted")
	sc := g.get(t, running)
	require.Equal(t, 1, sc.Resumes)
	require.Zero(t, sc.Crashes, "a stop is not a crash")
}

// statesIn reads every scan's state from the database at path.
func statesIn(t *testing.T, path string) map[string]service.State {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT id, state FROM scans")
	require.NoError(t, err)
	defer rows.Close()
	states := map[string]service.State{}
	for rows.Next() {
		var id string
		var st service.State
		require.NoError(t, rows.Scan(&id, &st))
		states[id] = st
	}
	require.NoError(t, rows.Err())
	return states
}

// readOrder reads the noting scanner's file.
func readOrder(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}
