package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker/scan"
)

// patient is a test-only scanner that waits for its context to end (an
// hour at most): a scan of it is always in the middle when a server is
// killed.
func init() {
	scan.Register(scan.Def{Name: "patient", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			select {
			case <-time.After(time.Hour):
				return scan.Report{}, nil
			case <-ctx.Done():
				return scan.Report{}, ctx.Err()
			}
		}), nil
	}})
}

// submit posts a scan of body and returns its id.
func (s *server) submit(t *testing.T, body string) string {
	t.Helper()
	code, resp := s.do(t, "POST", "/v1/scans", body)
	require.Equal(t, http.StatusCreated, code, "%s", resp)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(resp, &sc))
	return sc.ID
}

// stop ends the server with sig and checks that none of the workers it
// had outlived it.
func (s *server) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	workers := proctest.Children(s.cmd.Process.Pid)
	require.NotEmpty(t, workers, "the server runs a scan: it has workers")
	require.NoError(t, s.cmd.Process.Signal(sig))
	testwait.Chan(t, time.Minute, fmt.Sprintf("the server to exit on %v", sig), s.done)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived their server (%v)", sig)
}

// A scan the server keeps dying under is carried on --max-carry-ons
// times; at the next death it ends failed, saying why. A stop by SIGTERM
// between the deaths does not count.
func TestServeGivesUpOnAScanItKeepsDyingUnder(t *testing.T) {
	root, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	for i := range 20 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d", i)), "x")
	}
	args := []string{"--root", root, "--data", data, "-s", "patient", "-w", "2", "--grace", "1s", "--max-carry-ons", "2"}
	srv := startServer(t, args...)
	id := srv.submit(t, `{"paths": ["`+root+`"]}`)
	busy := func(s service.Scan) bool {
		return s.State == service.Running && len(s.Workers) == 2 &&
			!slices.ContainsFunc(s.Workers, func(w service.Worker) bool { return len(w.Files) == 0 })
	}
	crashes := 0
	for i, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGKILL} {
		srv.waitFor(t, id, busy)
		srv.stop(t, sig)
		if sig == syscall.SIGKILL {
			crashes++
		}
		srv = startServer(t, args...)
		sc := srv.scan(t, id)
		if crashes > 2 {
			require.Equal(t, service.Failed, sc.State)
			require.Contains(t, sc.Error, "the server stopped under this scan too often: 3 times; not carried on again")
			require.Equal(t, 3, sc.Crashes)
			require.Equal(t, i, sc.Resumes, "the last stop was not carried on")
			break
		}
		require.NotEqual(t, service.Failed, sc.State, "stop %d (%v): %s", i+1, sig, sc.Error)
		require.Equal(t, crashes, sc.Crashes, "stop %d (%v)", i+1, sig)
		require.Equal(t, i+1, sc.Resumes)
	}
	require.Equal(t, service.Failed, srv.scan(t, id).State, "it stays failed")
}

// follow=1 follows a scan across a SIGKILL and a restart: started while
// the scan waits, queued, behind another, before the carry-on rewrites
// its records file, it reads to the scan's end, and what it sent is every
// record of the final file, each once, and nothing else.
func TestServeFollowAcrossRestart(t *testing.T) {
	root, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	ahead, followed := filepath.Join(root, "ahead"), filepath.Join(root, "followed")
	const files = 2000
	for i := range files {
		write(t, filepath.Join(followed, fmt.Sprintf("d%d/f%04d", i%10, i)), "x")
	}
	for i := range 10 {
		write(t, filepath.Join(ahead, fmt.Sprintf("f%d", i)), "x")
	}
	args := []string{"--root", root, "--data", data, "-s", "sluggish", "-s", "flagger", "-w", "2"}
	srv := startServer(t, append(args, "--max-scans", "2")...)
	first := srv.submit(t, `{"paths": ["`+ahead+`"], "scanners": ["patient"]}`)
	id := srv.submit(t, `{"paths": ["`+followed+`"]}`)
	srv.waitFor(t, id, func(s service.Scan) bool { return s.Progress.FilesDone >= 100 })
	recordsFile := filepath.Join(data, "scans", id+".jsonl")
	testwait.For(t, time.Minute, "a whole record in "+recordsFile, func() bool {
		b, _ := os.ReadFile(recordsFile)
		return bytes.Contains(b, []byte("\n"))
	})
	srv.stop(t, syscall.SIGKILL)

	srv = startServer(t, append(args, "--max-scans", "1")...)
	require.Equal(t, service.Queued, srv.scan(t, id).State, "it waits behind the scan ahead")
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound(2*time.Minute)) // did not hang
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.url+"/v1/scans/"+id+"/results?follow=1", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body := bufio.NewReader(resp.Body)
	line, err := body.ReadString('\n') // from the file the kill left
	require.NoError(t, err)
	code, msg := srv.do(t, "POST", "/v1/scans/"+first+"/cancel", "")
	require.Equal(t, http.StatusOK, code, "%s", msg)
	rest, err := io.ReadAll(body)
	require.NoError(t, err, "the stream ends cleanly, with the scan")
	sc := srv.scan(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Positive(t, sc.Progress.FilesKept, "records of the killed run were kept")

	code, final := srv.do(t, "GET", "/v1/scans/"+id+"/results", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, records(t, string(final)), 2*files)
	sent := strings.SplitAfter(line+string(rest), "\n")
	want := strings.SplitAfter(string(final), "\n")
	slices.Sort(sent)
	slices.Sort(want)
	require.Equal(t, want, sent, "every record of the final file, each once, and nothing else")
}
