package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/service"
)

// server is `forkscan serve` running as a process of its own, on a
// loopback port it chose.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startServer starts `forkscan serve` with args, listening on a free
// loopback port, and waits until it answers.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "forkscan serve: listening on "); ok {
				addr <- a
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-s.done })
	select {
	case s.url = <-addr:
	case <-s.done:
		t.Fatal("forkscan serve exited before it listened")
	case <-time.After(testwait.Bound(time.Minute)):
		t.Fatalf("waited %v (%s=%g) for forkscan serve to listen; it never did", testwait.Bound(time.Minute), testwait.ScaleVar, testwait.Scale())
	}
	return s
}

func (s *server) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	resp, data := s.send(t, method, path, "", body)
	return resp.StatusCode, data
}

// send sends a request naming host (none: the server's address), its
// body JSON, and returns the answer with its body read.
func (s *server) send(t *testing.T, method, path, host, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

func (s *server) scan(t *testing.T, id string) service.Scan {
	t.Helper()
	code, body := s.do(t, "GET", "/v1/scans/"+id, "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(body, &sc))
	return sc
}

// waitFor polls scan id until ok says so (bounded only as a hang is; a
// failure shows the scan as last seen).
func (s *server) waitFor(t *testing.T, id string, ok func(service.Scan) bool) service.Scan {
	t.Helper()
	var sc service.Scan
	defer func() {
		if t.Failed() {
			t.Logf("scan %s as last seen: %+v", id, sc)
		}
	}()
	testwait.For(t, time.Minute, "scan "+id+" to be as the test waits for", func() bool {
		sc = s.scan(t, id)
		return ok(sc)
	})
	return sc
}

// The server's records of a tree are the CLI's records of it (pids and
// timings aside); SIGTERM stops it, leaving no worker.
func TestServeRecordsAreTheCLIs(t *testing.T) {
	root := t.TempDir()
	for i := range 30 {
		body := "plain\n"
		if i%4 == 0 {
			body = "a SECRET\n"
		}
		write(t, filepath.Join(root, fmt.Sprintf("d%d/f%02d.txt", i%3, i)), body)
	}
	srv := startServer(t, "--root", root, "--data", filepath.Join(t.TempDir(), "data"), "-s", "flagger")
	code, body := srv.do(t, "POST", "/v1/scans", `{"paths": ["`+root+`"]}`)
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(body, &sc))
	sc = srv.waitFor(t, sc.ID, func(s service.Scan) bool { return s.State.Ended() })
	require.Equal(t, service.Done, sc.State, sc.Error)
	code, served := srv.do(t, "GET", "/v1/scans/"+sc.ID+"/results", "")
	require.Equal(t, http.StatusOK, code)

	code, out, errOut := cli(t, "scan", "-s", "flagger", "--format", "jsonl", root)
	require.Equal(t, exitFindings, code, errOut)
	require.Equal(t, comparable(t, out), comparable(t, string(served)))

	workers := proctest.Children(srv.cmd.Process.Pid)
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	testwait.Chan(t, time.Minute, "the server to exit on SIGTERM", srv.done)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)))
}

// comparable is a JSON lines output's records without what differs from
// run to run (worker pids), keyed by path and scanner.
func comparable(t *testing.T, jsonl string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for key, r := range records(t, jsonl) {
		r.WorkerPID = 0
		data, err := json.Marshal(r)
		require.NoError(t, err)
		out[key] = string(data)
	}
	return out
}

// A server SIGKILLed in the middle of a scan leaves no worker; started
// again on the same data, it carries the scan on by itself; stopped with
// SIGTERM and started again, once more; and the scan ends with exactly
// one record per file and scanner, saying it was resumed twice.
func TestServeKilledMidScanCarriesOn(t *testing.T) {
	root, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	const files = 3000
	for i := range files {
		write(t, filepath.Join(root, fmt.Sprintf("d%d/f%04d", i%10, i)), "x")
	}
	args := []string{"--root", root, "--data", data, "-s", "sluggish", "-s", "flagger"}
	srv := startServer(t, args...)
	code, body := srv.do(t, "POST", "/v1/scans", `{"paths": ["`+root+`"]}`)
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(body, &sc))
	srv.waitFor(t, sc.ID, func(s service.Scan) bool { return s.Progress.FilesDone >= 200 })
	workers := proctest.Children(srv.cmd.Process.Pid)
	require.NotEmpty(t, workers)
	require.NoError(t, srv.cmd.Process.Kill())
	testwait.Chan(t, time.Minute, "the server to exit on SIGKILL", srv.done)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived their SIGKILLed server")
	recordsFile := filepath.Join(data, "scans", sc.ID+".jsonl")
	before, err := os.ReadFile(recordsFile)
	require.NoError(t, err)
	require.Less(t, bytes.Count(before, []byte("\n")), 2*files, "the scan was cut short")

	// Started again, it carries on; SIGTERM then stops it in phases, the
	// scan left interrupted, and it carries on at the next start again.
	srv = startServer(t, args...)
	srv.waitFor(t, sc.ID, func(s service.Scan) bool { return s.State == service.Running && s.Progress.FilesDone >= 100 })
	workers = proctest.Children(srv.cmd.Process.Pid)
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	testwait.Chan(t, time.Minute, "the server to exit on SIGTERM", srv.done)
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived their stopped server")
	require.Equal(t, service.Interrupted, stateIn(t, filepath.Join(data, "forkscan.db"), sc.ID), "SIGTERM leaves the running scan interrupted")

	srv = startServer(t, args...)
	sc = srv.waitFor(t, sc.ID, func(s service.Scan) bool { return s.State.Ended() })
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Equal(t, 2, sc.Resumes)
	require.Equal(t, 1, sc.Crashes, "the SIGKILL counted, the SIGTERM not")
	require.Positive(t, sc.Progress.FilesKept, "what was done before the kill was not done again")
	code, served := srv.do(t, "GET", "/v1/scans/"+sc.ID+"/results", "")
	require.Equal(t, http.StatusOK, code)
	got := records(t, string(served)) // fails on a (file, scanner) twice
	require.Len(t, got, 2*files)
	for key, r := range got {
		require.Equal(t, record.StatusOK, r.Status, key)
	}
}

// stateIn reads scan id's state from the server's database at path, as a
// stopped server left it.
func stateIn(t *testing.T, path, id string) service.State {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var state service.State
	require.NoError(t, db.QueryRow("SELECT state FROM scans WHERE id = ?", id).Scan(&state))
	return state
}

// scan --listen serves /metrics and /healthz while the scan runs, the
// counters growing with the records (bytes too) before the scan ends.
func TestScanListenServesMetrics(t *testing.T) {
	root := t.TempDir()
	for i := range 4000 {
		write(t, filepath.Join(root, fmt.Sprintf("f%04d", i)), "x")
	}
	cmd := exec.Command(os.Args[0], "scan", "-s", "sluggish", "--listen", "127.0.0.1:0", "-o", filepath.Join(t.TempDir(), "out.jsonl"), root)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var url string
	sc := bufio.NewScanner(stderr)
	for url == "" && sc.Scan() {
		url, _ = strings.CutPrefix(sc.Text(), "forkscan: metrics on ")
	}
	require.NotEmpty(t, url, "the scan said where its metrics are")
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	base := strings.TrimSuffix(url, "/metrics")
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	bytes := regexp.MustCompile(`(?m)^forkscan_bytes_scanned_total ([1-9]\d*)$`) // moves while the scan runs, not at its end
	testwait.For(t, time.Minute, "the metrics to count a record and its bytes while the scan runs", func() bool {
		resp, err := http.Get(url)
		require.NoError(t, err, "the metrics are served until the scan ends")
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return strings.Contains(string(body), `forkscan_files_scanned_total{scanner="sluggish",status="ok"}`) && bytes.Match(body)
	})
}

// serve refuses to start, exit 2 with the reason, without what it needs: a
// root that is there, a token for an address beyond loopback, a token long
// enough, a data directory, a free address; and it has no flag that would
// mean nothing to it.
func TestServeRefusesToStart(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("abc\n"), 0o600))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cases := []struct {
		args []string
		says string
	}{
		{nil, "at least one --root"},
		{[]string{"--root", root, "--listen", "0.0.0.0:0"}, "not a loopback address: it needs --token-file"},
		{[]string{"--root", root, "--token-file", short}, "at least 16 characters"},
		{[]string{"--root", filepath.Join(root, "nope")}, "nope: no such file or directory"},
		{[]string{"--root", root, "--allow-host", "http://forkscan.example:7780"}, "without scheme, port or path"},
		{[]string{"--root", root, "--data", filepath.Join(short, "data")}, "not a directory"},
		{[]string{"--root", root, "--listen", taken.Addr().String()}, "address already in use"},
	}
	for _, meaningless := range []string{"--format=text", "--color=never", "-o=out", "--progress=off", "--no-progress",
		"--resume", "--force", "--include=*.go", "--exclude=*.go", "--no-ignore"} {
		cases = append(cases, struct {
			args []string
			says string
		}{[]string{"--root", root, meaningless}, "unknown "})
	}
	for _, c := range cases {
		args := append([]string{"serve", "--data", filepath.Join(dir, "data")}, c.args...)
		code, _, errOut := cli(t, args...)
		require.Equal(t, exitUsage, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.says, "%v", c.args)
	}
}

// serve answers the names --allow-host gives beside loopback ones and
// refuses others (421), refuses a body of another type (415), sets the
// headers of every answer, and --max-connections caps its connections:
// at a cap of one, every answer closes its connection.
func TestServeWhoMay(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a"), "x")
	srv := startServer(t, "--root", root, "--data", filepath.Join(t.TempDir(), "data"), "--allow-host", "forkscan.test",
		"--max-connections", "1")
	cases := []struct {
		method, path, host, body string
		code                     int
	}{
		{"GET", "/v1/scans", "forkscan.test", "", http.StatusOK},
		{"GET", "/v1/scans", "localhost:7780", "", http.StatusOK},
		{"GET", "/v1/scans", "attacker.test", "", http.StatusMisdirectedRequest},
		{"POST", "/v1/scans", "attacker.test", `{"paths": ["` + root + `"]}`, http.StatusMisdirectedRequest},
		{"GET", "/healthz", "attacker.test", "", http.StatusOK},
		{"POST", "/v1/scans", "forkscan.test", `{"paths": ["` + root + `"]}`, http.StatusCreated},
	}
	for _, c := range cases {
		resp, body := srv.send(t, c.method, c.path, c.host, c.body)
		require.Equal(t, c.code, resp.StatusCode, "%s %s from %s: %s", c.method, c.path, c.host, body)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		require.True(t, resp.Close, "at a cap of one, the answer closes its connection")
	}
	req, err := http.NewRequest("POST", srv.url+"/v1/scans", strings.NewReader(`{"paths": ["`+root+`"]}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain") // what a form may send
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	code, body := srv.do(t, "GET", "/v1/scans", "")
	require.Equal(t, http.StatusOK, code)
	var list struct{ Scans []service.Scan }
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list.Scans, 1, "only the accepted request made a scan")
}
