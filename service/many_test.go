package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// 50 scans submitted at once, polled by 200 clients at once (each every
// 200ms, keeping its connection as a client library does), with two
// running at a time: every one ends done with one record per file, and
// no poll fails. Bounded as a hang is, not as a speed: the scans run two
// at a time on a machine that may be busy, and the first one waited for
// may be the last of the queue, so all of them get 3 minutes together.
// The pollers stop before the server does, whatever happens: a server
// closed under them would reset the connections in its listen queue.
func TestManyScansAtOnce(t *testing.T) {
	f := start(t, service.Config{MaxScans: 2, MaxQueued: 100}, "")
	const scans, polls = 50, 200
	ids := make([]string, scans)
	var wg sync.WaitGroup
	for i := range scans {
		dir := filepath.Join(f.root, strconv.Itoa(i))
		tree(t, dir, map[string]string{"a": "SECRET", "b": "x", "c": "y", "d/e": "SECRET", "f": ""})
		wg.Go(func() { ids[i] = f.submit(t, service.Request{Paths: []string{dir}}) })
	}
	wg.Wait()
	ctx, stop := context.WithCancel(t.Context())
	var pollers sync.WaitGroup
	defer pollers.Wait() // before the fixture's cleanup closes the server
	defer stop()
	client := newClient(t, polls)
	for i := range polls { // each polls its scan until it has ended
		pollers.Go(func() {
			for ctx.Err() == nil {
				sc, err := poll(ctx, client, f.http.URL+"/v1/scans/"+ids[i%scans])
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("a poller: %v", err)
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
	deadline := time.Now().Add(3 * time.Minute)
	for _, id := range ids {
		sc := f.get(t, id)
		for ; !sc.State.Ended(); sc = f.get(t, id) {
			require.True(t, time.Now().Before(deadline), "scan %s is still %s after 3 minutes", id, sc.State)
			time.Sleep(20 * time.Millisecond)
		}
		require.Equal(t, service.Done, sc.State, sc.Error)
		require.Len(t, f.results(t, id), 5)
		require.Equal(t, 2, sc.Progress.Findings)
	}
	pollers.Wait()
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
