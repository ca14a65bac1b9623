package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/service"
)

// 50 scans submitted at once, polled by 200 clients at once (each every
// 200ms, keeping its connection as a client library does), with two
// running at a time: every one ends done with one record per file, and
// no poll fails. Bounded as a hang is, not as a speed: the scans run two
// at a time, each with a worker process of its own, on a machine that may
// be busy (under -race, beside other tests, 3 minutes were seen to pass),
// so all of them get 10 minutes together (testwait scales it). The submitters and pollers only send
// their errors to the test's goroutine, which fails the test; they stop
// when the test ends, however it ends, before the server does: a server
// closed under them would reset the connections in its listen queue.
func TestManyScansAtOnce(t *testing.T) {
	f := start(t, service.Config{MaxScans: 2, MaxQueued: 100}, "")
	const scans, polls = 50, 200
	ctx, stop := context.WithCancel(t.Context())
	var clients sync.WaitGroup
	t.Cleanup(func() { stop(); clients.Wait() }) // before the fixture's cleanup closes the server
	client := newClient(t, polls)

	ids := make([]string, scans)
	errs := make(chan error, scans+polls)
	for i := range scans {
		dir := filepath.Join(f.root, strconv.Itoa(i))
		tree(t, dir, map[string]string{"a": "SECRET", "b": "x", "c": "y", "d/e": "SECRET", "f": ""})
		clients.Go(func() {
			var err error
			if ids[i], err = post(ctx, client, f.http.URL+"/v1/scans", service.Request{Paths: []string{dir}}); err != nil {
				errs <- fmt.Errorf("submitting scan %d: %w", i, err)
			}
		})
	}
	clients.Wait()
	requireNone(t, errs)

	for i := range polls { // each polls its scan until it has ended
		clients.Go(func() {
			for ctx.Err() == nil {
				sc, err := poll(ctx, client, f.http.URL+"/v1/scans/"+ids[i%scans])
				if err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("a poller: %w", err)
					}
					return
				}
				if !sc.State.Running() {
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
	}
	pending := map[string]bool{}
	for _, id := range ids {
		pending[id] = true
	}
	testwait.For(t, 10*time.Minute, fmt.Sprintf("all %d scans to end", scans), func() bool {
		requireNone(t, errs) // a poll failed: fail now, not at the bound
		for id := range pending {
			if f.get(t, id).State.Ended() {
				delete(pending, id)
			}
		}
		return len(pending) == 0
	})
	for _, id := range ids {
		sc := f.get(t, id)
		require.Equal(t, service.Done, sc.State, sc.Error)
		require.Len(t, f.results(t, id), 5)
		require.Equal(t, 2, sc.Progress.Findings)
	}
	testwait.Chan(t, time.Minute, "the pollers to see their scans end", wgDone(&clients))
	requireNone(t, errs)
	metrics := f.metrics(t)
	require.Equal(t, float64(scans*5), metrics[`forkscan_files_scanned_total{scanner="marker",status="ok"}`])
	require.Equal(t, float64(scans), metrics[`forkscan_scans{state="done"}`])
	require.Equal(t, 0.0, metrics[`forkscan_scans{state="running"}`])
	code, body := f.do(t, "GET", "/v1/stats", nil)
	require.Equal(t, http.StatusOK, code)
	var st service.Stats
	require.NoError(t, json.Unmarshal(body, &st))
	t.Logf("the server's RSS after %d scans and their polls: %d MiB, %d threads", scans, st.Process.RSSBytes>>20, st.Process.Threads)
}

// requireNone fails the test with the errors errs holds now, if any.
func requireNone(t *testing.T, errs <-chan error) {
	t.Helper()
	var all []error
	for len(errs) > 0 {
		all = append(all, <-errs)
	}
	require.NoError(t, errors.Join(all...))
}

// wgDone is a channel closed when wg is done.
func wgDone(wg *sync.WaitGroup) <-chan struct{} {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// post submits req with client and returns the new scan's id.
func post(ctx context.Context, client *http.Client, url string, req service.Request) (string, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	hreq, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	var sc service.Scan
	if err := json.NewDecoder(resp.Body).Decode(&sc); err != nil {
		return "", err
	}
	if sc.State != service.Queued {
		return "", fmt.Errorf("a new scan is %s, not queued", sc.State)
	}
	return sc.ID, nil
}

// poll gets a scan with client.
func poll(ctx context.Context, client *http.Client, url string) (*service.Scan, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	var sc service.Scan
	return &sc, json.NewDecoder(resp.Body).Decode(&sc)
}
