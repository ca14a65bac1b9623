package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker"
	"github.com/forkscan/forkscan/worker/scan"
)

// TestMain lets this test binary serve as the workers of the scans its
// tests submit: the engine re-execs it, and worker.Main serves.
func TestMain(m *testing.M) {
	worker.Main()
	if data := os.Getenv(newDataEnv); data != "" {
		os.Exit(newOverData(data))
	}
	// Spare the workers the second the race runtime sleeps at exit (its
	// atexit_sleep_ms), which every scan's end would wait for under -race.
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	goleak.VerifyTestMain(m)
}

// Test-only scanners, registered in the test process and its workers:
// marker finds each line that says SECRET; slow takes 20ms a file,
// honouring its context; holder holds the run-wide semaphore "svc-sem"
// for 20ms a file and notes in $FORKSCAN_TEST_HOLDS when it does.
func init() {
	scan.Register(scan.Def{Name: "marker", Content: true, History: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(_ context.Context, f *scan.File) (scan.Report, error) {
			var rep scan.Report
			for i, line := range bytes.Split(f.Data, []byte("\n")) {
				if bytes.Contains(line, []byte("SECRET")) {
					rep.Findings = append(rep.Findings, scan.Finding{Rule: "secret-word", Line: max(f.Line, 1) + i})
				}
			}
			return rep, nil
		}), nil
	}})
	scan.Register(scan.Def{Name: "slow", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			select {
			case <-time.After(20 * time.Millisecond):
				return scan.Report{}, nil
			case <-ctx.Done():
				return scan.Report{}, ctx.Err()
			}
		}), nil
	}})
	scan.Register(scan.Def{Name: "holder", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			sem := scan.Semaphore(ctx, "svc-sem", 0)
			if err := sem.Acquire(ctx, 1); err != nil {
				return scan.Report{}, err
			}
			note(fmt.Sprintf("+%d\n", time.Now().UnixNano()))
			time.Sleep(20 * time.Millisecond)
			note(fmt.Sprintf("-%d\n", time.Now().UnixNano()))
			return scan.Report{}, sem.Release(1)
		}), nil
	}})
}

const holdsEnv = "FORKSCAN_TEST_HOLDS"

// note appends a line to the file $FORKSCAN_TEST_HOLDS names.
func note(line string) {
	f, err := os.OpenFile(os.Getenv(holdsEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, _ = f.WriteString(line)
		_ = f.Close()
	}
}

// fixture is a server on a loopback port, with its roots.
type fixture struct {
	t      *testing.T
	srv    *service.Server
	http   *httptest.Server
	root   string // a tree clients may scan
	token  string
	cancel context.CancelFunc
	done   chan struct{}
}

// start makes a server over a new root (and data directory), with cfg's
// settings and the default HTTP limits, serving until the test ends.
func start(t *testing.T, cfg service.Config, token string) *fixture {
	t.Helper()
	return startServing(t, cfg, token, serving{})
}

// startOver is start over root, made if it is not there: a server
// started again over the root and data of one stopped.
func startOver(t *testing.T, cfg service.Config, token, root string) *fixture {
	t.Helper()
	return startServing(t, cfg, token, serving{root: root})
}

// serving says how the fixture's HTTP server is made: within limits, and
// on its loopback listener as wrap makes it (before the cap), if not nil;
// and over which root (a new one if empty).
type serving struct {
	limits service.HTTPLimits
	wrap   func(net.Listener) net.Listener
	root   string
}

// startServing is start with the HTTP server made as how says: the
// server `forkscan serve` makes, on a loopback port.
func startServing(t *testing.T, cfg service.Config, token string, how serving) *fixture {
	t.Helper()
	if how.root == "" {
		how.root = filepath.Join(t.TempDir(), "root")
	}
	f := &fixture{t: t, root: how.root, token: token, done: make(chan struct{})}
	require.NoError(t, os.MkdirAll(f.root, 0o755))
	if cfg.Data == "" {
		cfg.Data = filepath.Join(t.TempDir(), "data")
	}
	cfg.Roots = append(cfg.Roots, f.root)
	if cfg.Engine.Workers == 0 {
		cfg.Engine = engine.DefaultConfig()
		// One worker; and a file a test holds (the gate scanner's
		// hold.txt) is held as long as the test takes on a loaded machine,
		// never timed out.
		cfg.Engine.Workers, cfg.Engine.JobTimeout = 1, time.Hour
	}
	cfg.Engine.Scanners = []string{"marker"}
	srv, err := service.New(context.Background(), cfg)
	require.NoError(t, err)
	f.srv = srv
	f.http = httptest.NewUnstartedServer(nil) // 127.0.0.1 only
	f.http.Config = how.limits.Server(srv.Handler(token))
	if how.wrap != nil {
		f.http.Listener = how.wrap(f.http.Listener)
	}
	f.http.Listener = how.limits.Listener(f.http.Listener)
	f.http.Start()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		_ = srv.Run(ctx)
	}()
	t.Cleanup(f.stop)
	return f
}

// stop stops the server and checks it left no worker behind. It may be
// called more than once (a test's stop, then the cleanup's).
func (f *fixture) stop() {
	f.t.Helper()
	f.cancel()
	testwait.Chan(f.t, time.Minute, "the server's Run to return after its context ended", f.done)
	f.http.Close()
	_ = f.srv.Close()
	if alive := proctest.WaitGone(proctest.Children(os.Getpid()), testwait.Bound(10*time.Second)); len(alive) > 0 {
		f.t.Errorf("processes left behind by the stopped server: %v", alive)
	}
}

// do sends a request with the fixture's token and returns the status and body.
func (f *fixture) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	require.NoError(t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// submit posts a scan and returns its id.
func (f *fixture) submit(t *testing.T, req service.Request) string {
	t.Helper()
	code, body := f.do(t, "POST", "/v1/scans", req)
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(body, &sc))
	require.Equal(t, service.Queued, sc.State)
	return sc.ID
}

// get returns a scan.
func (f *fixture) get(t *testing.T, id string) service.Scan {
	t.Helper()
	code, body := f.do(t, "GET", "/v1/scans/"+id, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	var sc service.Scan
	require.NoError(t, json.Unmarshal(body, &sc))
	return sc
}

// wait polls a scan until it has ended (bounded only as a hang is).
func (f *fixture) wait(t *testing.T, id string) service.Scan {
	t.Helper()
	var sc service.Scan
	testwait.For(t, time.Minute, "scan "+id+" to end", func() bool {
		sc = f.get(t, id)
		return sc.State.Ended()
	})
	return sc
}

// waitUntil polls ok until it holds; what says what is awaited (bounded
// only as a hang is).
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	testwait.For(t, time.Minute, what, ok)
}

// results reads a scan's records, one per (path, scanner).
func (f *fixture) results(t *testing.T, id string) map[string]record.Record {
	t.Helper()
	code, body := f.do(t, "GET", "/v1/scans/"+id+"/results", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	got := map[string]record.Record{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if line == "" {
			continue
		}
		var r record.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r), "%q", line)
		key := r.Path + "|" + r.Scanner
		require.NotContains(t, got, key, "two records for one file and scanner")
		got[key] = r
	}
	return got
}

// numbered is n files f000, f001, … holding "x", for tree.
func numbered(n int) map[string]string {
	files := make(map[string]string, n)
	for i := range n {
		files[fmt.Sprintf("f%03d", i)] = "x"
	}
	return files
}

// tree writes files under dir: name → content.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}
