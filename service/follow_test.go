package service_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/service"
)

// follow=1 follows a scan across its carry-on: a follower that opened
// the records file while the scan waited, queued after a restart, goes
// on to the file the resume put in its place, and sends each (file,
// scanner) of the scan exactly once, ending with the scan.
func TestFollowAcrossResume(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data, MaxScans: 2}, "")
	ahead, followed := filepath.Join(f.root, "ahead"), filepath.Join(f.root, "followed")
	tree(t, ahead, numbered(400))
	tree(t, followed, numbered(100))
	first := f.submit(t, service.Request{Paths: []string{ahead}, Scanners: []string{"slow"}})
	id := f.submit(t, service.Request{Paths: []string{followed}, Scanners: []string{"slow"}})
	waitUntil(t, "10 files done", func() bool { return f.get(t, id).Progress.FilesDone >= 10 })
	f.stop() // both interrupted, to be carried on: first, then id

	g := startOver(t, service.Config{Data: data, MaxScans: 1}, "", f.root)
	require.Equal(t, service.Queued, g.get(t, id).State, "it waits for the scan ahead of it")
	resp, err := http.Get(g.http.URL + "/v1/scans/" + id + "/results?follow=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body := bufio.NewReader(resp.Body)
	line, err := body.ReadString('\n') // from the file as the stop left it
	require.NoError(t, err)
	code, msg := g.do(t, "POST", "/v1/scans/"+first+"/cancel", nil) // now id runs, its file rewritten
	require.Equal(t, http.StatusOK, code, "%s", msg)
	rest, err := io.ReadAll(body)
	require.NoError(t, err, "the stream ends cleanly, with the scan")
	require.Equal(t, service.Done, g.get(t, id).State)

	sent := keyed(t, line+string(rest))
	require.Len(t, sent, 100)
	final := g.results(t, id)
	for key := range final {
		require.Contains(t, sent, key)
	}
}

// keyed reads JSON lines into records by path and scanner, failing on a
// (path, scanner) twice.
func keyed(t *testing.T, jsonl string) map[string]record.Record {
	t.Helper()
	got := map[string]record.Record{}
	for _, line := range strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n") {
		var r record.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r), "%q", line)
		key := r.Path + "|" + r.Scanner
		require.NotContains(t, got, key, "sent twice")
		got[key] = r
	}
	return got
}

// A follower of a scan that is queued when the server stops does not
// end as if the scan had: the connection is cut, and the client sees an
// error.
func TestFollowCutWhenTheServerStops(t *testing.T) {
	f := start(t, service.Config{}, "")
	tree(t, f.root, numbered(400))
	first := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"slow"}})
	waitUntil(t, "the first scan to run", func() bool { return f.get(t, first).State == service.Running })
	id := f.submit(t, service.Request{Paths: []string{f.root}})
	resp, err := http.Get(f.http.URL + "/v1/scans/" + id + "/results?follow=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f.cancel() // the server stops, the scan still queued
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}
