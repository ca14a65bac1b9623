package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/service"
)

// TestServeStopsWhateverTheTreeHolds: a server running a scan of a tree
// whose ignore files are a FIFO and a symlink to /dev/zero scans it to
// its end, and SIGTERM, sent while such a scan runs, stops the server
// with no worker left.
func TestServeStopsWhateverTheTreeHolds(t *testing.T) {
	root := t.TempDir()
	for i := range 400 {
		write(t, filepath.Join(root, fmt.Sprintf("d%d/f%04d", i%4, i)), "x")
	}
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, ".gitignore"), 0o644))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(root, "d1", ".gitignore")))
	srv := startServer(t, "--root", root, "--data", filepath.Join(t.TempDir(), "data"), "-s", "sluggish", "-w", "1")
	submit := func() string {
		code, body := srv.do(t, "POST", "/v1/scans", `{"paths": ["`+root+`"]}`)
		require.Equal(t, http.StatusCreated, code, "%s", body)
		var sc service.Scan
		require.NoError(t, json.Unmarshal(body, &sc))
		return sc.ID
	}
	sc := srv.waitFor(t, submit(), func(s service.Scan) bool { return s.State.Ended() })
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Equal(t, 2, sc.Progress.Errors, "the two ignore files, each an error record")

	id := submit()
	srv.waitFor(t, id, func(s service.Scan) bool { return s.State == service.Running && s.Progress.FilesDone > 10 })
	workers := proctest.Children(srv.cmd.Process.Pid)
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	testwait.Chan(t, time.Minute, "the server to stop on SIGTERM", srv.done)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived their stopped server")
}
