package service_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// rawScan reads a scan as JSON fields, as a program other than Go reads
// it: "name" → value.
func (f *fixture) rawScan(t *testing.T, id string) map[string]any {
	t.Helper()
	code, body := f.do(t, "GET", "/v1/scans/"+id, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	return m
}

// rfc3339 parses field of m as an RFC 3339 time in UTC.
func rfc3339(t *testing.T, m map[string]any, field string) time.Time {
	t.Helper()
	s, ok := m[field].(string)
	require.True(t, ok, "%s: %v", field, m[field])
	at, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(s, "Z"), "%s in UTC: %s", field, s)
	return at
}

// Every scan carries its times and duration, and an ended one its
// summary as fields (and as text); /v1/stats lists the workers of the
// running scans, each with its scan, and an empty list when none runs.
// A queued scan has no start and a zero duration; a running one a start
// and a duration that grows; an ended one a start, an end, the duration
// between them and the summary of what it did.
func TestTimesSummaryAndStats(t *testing.T) {
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	f := start(t, service.Config{}, "")
	files := numbered(20)
	files["hold.txt"] = strings.Repeat("held\n", 20)
	files["key.txt"] = "SECRET\nSECRET\n"
	tree(t, f.root, files)
	var total float64
	for _, body := range files {
		total += float64(len(body))
	}
	running := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate", "marker"}})
	waitFor(t, filepath.Join(gate, "holding"))
	queued := f.submit(t, service.Request{Paths: []string{f.root}})

	q := f.rawScan(t, queued)
	require.Equal(t, "queued", q["state"])
	rfc3339(t, q, "created")
	require.NotContains(t, q, "started")
	require.NotContains(t, q, "ended")
	require.NotContains(t, q, "summary")
	require.Equal(t, 0.0, q["duration_seconds"])

	r := f.rawScan(t, running)
	require.Equal(t, "running", r["state"])
	started := rfc3339(t, r, "started")
	require.NotContains(t, r, "ended")
	require.NotContains(t, r, "summary", "a running scan has no summary yet")
	require.Positive(t, r["duration_seconds"])

	code, body := f.do(t, "GET", "/v1/stats", nil)
	require.Equal(t, http.StatusOK, code)
	var st service.Stats
	require.NoError(t, json.Unmarshal(body, &st))
	require.Len(t, st.Workers, 1, "%s", body)
	require.Equal(t, 1, st.WorkersRunning)
	require.Equal(t, running, st.Workers[0].Scan)
	require.Positive(t, st.Workers[0].PID)

	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))
	f.wait(t, running)
	f.wait(t, queued)
	d := f.rawScan(t, running)
	require.Equal(t, started, rfc3339(t, d, "started"))
	ended := rfc3339(t, d, "ended")
	require.False(t, ended.Before(started))
	require.InDelta(t, ended.Sub(started).Seconds(), d["duration_seconds"], 1e-6)
	sum, ok := d["summary"].(map[string]any)
	require.True(t, ok, "the summary is an object: %v", d["summary"])
	want := map[string]any{"state": "done", "unit": "files", "files": 22.0, "scanned": 22.0, "kept": 0.0,
		"records": 44.0, "findings": 2.0, "ok": 44.0, "errors": 0.0, "skipped": 0.0, "bytes": total, "workers": 1.0,
		"workers_replaced": 0.0, "retries": 0.0}
	for k, v := range want {
		require.Equal(t, v, sum[k], "summary.%s", k)
	}
	require.Positive(t, sum["duration_seconds"])
	text, _ := d["summary_text"].(string)
	require.Contains(t, text, "2 findings")
	require.NotContains(t, text, "forkscan: ", "the text for a person, without the CLI's prefix")

	code, body = f.do(t, "GET", "/v1/stats", nil)
	require.Equal(t, http.StatusOK, code)
	var idle map[string]any
	require.NoError(t, json.Unmarshal(body, &idle))
	require.Equal(t, []any{}, idle["workers"], "no worker runs: an empty list, not null")
	require.Equal(t, 0.0, idle["workers_running"])
}

// A scan carried on after the server stopped under it keeps its first
// start, and while its new run goes on shows no summary: not the last
// run's, which said it was interrupted. At its end, its summary is of
// the whole scan and says nothing of an interruption.
func TestCarriedOnScanShowsNoOldSummary(t *testing.T) {
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data}, "")
	files := numbered(30)
	files["hold.txt"] = strings.Repeat("held\n", 20)
	tree(t, f.root, files)
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	waitUntil(t, "5 files done", func() bool { return f.get(t, id).Progress.FilesDone >= 5 })
	first := f.get(t, id).Started
	f.stop()
	require.NoError(t, os.Remove(filepath.Join(gate, "holding")))

	g := startOver(t, service.Config{Data: data}, "", f.root)
	waitFor(t, filepath.Join(gate, "holding"))
	sc := g.get(t, id)
	require.Equal(t, service.Running, sc.State)
	require.Equal(t, 1, sc.Resumes)
	require.Nil(t, sc.Summary, "the interrupted run's summary is gone")
	require.Empty(t, sc.SummaryText)
	require.True(t, first.Equal(*sc.Started), "its first start: %v, now %v", first, sc.Started)

	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))
	sc = g.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Equal(t, service.Done, sc.Summary.State)
	require.Nil(t, sc.Summary.Interrupted)
	require.Equal(t, 31, sc.Summary.Files)
	require.Equal(t, 31, sc.Summary.Records)
	require.NotContains(t, sc.SummaryText, "interrupted")
}
