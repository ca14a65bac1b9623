package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/archivetest"
	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/service"
)

// A scan goes from queued to done, with one record per file, its
// findings, its summary; the results come as JSON lines, valid SARIF and
// text; the metrics count what the records hold.
func TestRoundTrip(t *testing.T) {
	f := start(t, service.Config{}, "")
	tree(t, f.root, map[string]string{"a.txt": "SECRET\n", "dir/b.txt": "nothing\n", "dir/c.txt": "x\nSECRET\nSECRET\n", "d.txt": ""})
	id := f.submit(t, service.Request{Paths: []string{f.root}})
	sc := f.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Equal(t, 4, sc.Progress.FilesDone)
	require.True(t, sc.Progress.WalkEnded)
	require.Equal(t, 3, sc.Progress.Findings)
	require.Equal(t, service.Summary{State: service.Done, Unit: "files", Files: 4, Scanned: 4, Records: 4, Findings: 3, OK: 4,
		Bytes: 7 + 8 + 16, Workers: 1, DurationSec: sc.Summary.DurationSec}, *sc.Summary)
	require.Contains(t, sc.SummaryText, "3 findings")

	got := f.results(t, id)
	require.Len(t, got, 4)
	require.Len(t, got["dir/c.txt|marker"].Findings, 2)
	require.Equal(t, f.rootResolved(t), got["a.txt|marker"].Root)

	code, sarif := f.do(t, "GET", "/v1/scans/"+id+"/results?format=sarif", nil)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, sarifschema.Validate(sarif))
	t.Run("SARIF passes Microsoft's validator", func(t *testing.T) { sarifschema.Passes(t, sarif) })
	code, text := f.do(t, "GET", "/v1/scans/"+id+"/results?format=text", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(text), "dir/c.txt")

	metrics := f.metrics(t)
	require.Equal(t, 4.0, metrics[`forkscan_files_scanned_total{scanner="marker",status="ok"}`])
	require.Equal(t, 3.0, metrics["forkscan_findings_total"])
	require.Equal(t, 1.0, metrics[`forkscan_scans{state="done"}`])

	code, body := f.do(t, "GET", "/v1/stats", nil)
	require.Equal(t, http.StatusOK, code)
	var st service.Stats
	require.NoError(t, json.Unmarshal(body, &st))
	require.Equal(t, 1, st.Scans[service.Done])
	require.Equal(t, 100.0, st.Rates.Success)
	require.Positive(t, st.Process.RSSBytes)
}

// rootResolved is the fixture's root as the server records it.
func (f *fixture) rootResolved(t *testing.T) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(f.root)
	require.NoError(t, err)
	return p
}

// metrics reads /metrics with Prometheus' own text parser: "name{labels}" → value.
func (f *fixture) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	code, body := f.do(t, "GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err)
	out := map[string]float64{}
	for name, fam := range families {
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			}
		}
	}
	return out
}

// Requests that may not run, each answered with its status, and nothing
// run: no scan is made.
func TestRefusals(t *testing.T) {
	f := start(t, service.Config{MaxPaths: 1000}, "a-token-of-sixteen-or-more")
	tree(t, f.root, map[string]string{"in.txt": "x"})
	outside := t.TempDir()
	tree(t, outside, map[string]string{"secret.txt": "SECRET"})
	require.NoError(t, os.Symlink(outside, filepath.Join(f.root, "escape")))
	many := make([]string, 10000)
	for i := range many {
		many[i] = f.root
	}
	body := func(v any) string {
		data, _ := json.Marshal(v)
		return string(data)
	}
	cases := []struct {
		name  string
		token string
		body  string
		code  int
		says  string
	}{
		{"no token", "-", body(service.Request{Paths: []string{f.root}}), http.StatusUnauthorized, "token"},
		{"wrong token", "a-token-of-sixteen-or-mord", body(service.Request{Paths: []string{f.root}}), http.StatusUnauthorized, "token"},
		{"outside the roots", "", body(service.Request{Paths: []string{outside}}), http.StatusForbidden, "outside the roots"},
		{"dot-dot out of a root", "", body(service.Request{Paths: []string{f.root + "/../" + filepath.Base(f.root) + "/../.."}}), http.StatusForbidden, "outside the roots"},
		{"symlink out of a root", "", body(service.Request{Paths: []string{filepath.Join(f.root, "escape")}}), http.StatusForbidden, "outside the roots"},
		{"relative path", "", body(service.Request{Paths: []string{"root"}}), http.StatusBadRequest, "not an absolute path"},
		{"a path that does not exist", "", body(service.Request{Paths: []string{filepath.Join(f.root, "nope")}}), http.StatusBadRequest, "does not exist"},
		{"no paths", "", `{"paths": []}`, http.StatusBadRequest, "no paths"},
		{"10,000 paths", "", body(service.Request{Paths: many}), http.StatusBadRequest, "at most 1000"},
		{"oversized body", "", `{"paths": ["` + strings.Repeat("x", 2<<20) + `"]}`, http.StatusRequestEntityTooLarge, "over"},
		{"malformed JSON", "", `{"paths": [`, http.StatusBadRequest, "bad request"},
		{"two values", "", `{"paths": ["` + f.root + `"]} {}`, http.StatusBadRequest, "more than one"},
		{"unknown field", "", `{"paths": ["` + f.root + `"], "depth": 3}`, http.StatusBadRequest, "unknown field"},
		{"a command line", "", `{"paths": ["` + f.root + `"], "command": "rm -rf /"}`, http.StatusBadRequest, "unknown field"},
		{"a tool that is a command", "", body(service.Request{Paths: []string{f.root}, Tools: []string{"sh -c 'rm -rf /'"}}), http.StatusBadRequest, "unknown tool"},
		{"a tool that needs the server's value", "", body(service.Request{Paths: []string{f.root}, Tools: []string{"semgrep"}}), http.StatusBadRequest, "semgrep\\\" needs a value: give its rules"},
		{"a value for a tool", "", body(service.Request{Paths: []string{f.root}, Tools: []string{"semgrep=/etc/passwd"}}), http.StatusBadRequest, "unknown tool"},
		{"unknown scanner", "", body(service.Request{Paths: []string{f.root}, Scanners: []string{"nope"}}), http.StatusBadRequest, "unknown scanner"},
		{"bad glob", "", body(service.Request{Paths: []string{f.root}, Include: []string{"[x"}}), http.StatusBadRequest, "glob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := *f
			switch c.token {
			case "-":
				g.token = ""
			case "":
			default:
				g.token = c.token
			}
			code, resp := g.do(t, "POST", "/v1/scans", c.body)
			require.Equal(t, c.code, code, "%s", resp)
			require.Contains(t, string(resp), c.says)
		})
	}
	code, resp := f.do(t, "GET", "/v1/scans", nil)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"scans": null, "offset": 0, "limit": 50}`, string(resp), "nothing was made")

	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/v1/scans/0123456789abcdef", http.StatusNotFound},
		{"GET", "/v1/scans/0123456789abcdef/results", http.StatusNotFound},
		{"POST", "/v1/scans/0123456789abcdef/cancel", http.StatusNotFound},
		{"DELETE", "/v1/scans/0123456789abcdef", http.StatusNotFound},
		{"GET", "/v1/scans?limit=0", http.StatusBadRequest},
	} {
		code, resp := f.do(t, c.method, c.path, nil)
		require.Equal(t, c.code, code, "%s %s: %s", c.method, c.path, resp)
	}
	g := *f
	g.token = ""
	code, _ = g.do(t, "GET", "/healthz", nil)
	require.Equal(t, http.StatusOK, code, "probes need no token")
	code, _ = g.do(t, "GET", "/metrics", nil)
	require.Equal(t, http.StatusUnauthorized, code)
}

// A running scan shows its worker: pid, memory, threads, the file it is
// on. Cancelled, it stops in phases and ends cancelled with the
// records it made; a finished one cannot be cancelled (409) but can be
// deleted, its records with it; a running one cannot be deleted.
func TestCancelAndDelete(t *testing.T) {
	t.Setenv(gateEnv, t.TempDir()) // hold.txt is held until the scan is cancelled
	f := start(t, service.Config{}, "")
	files := numbered(400)
	files["hold.txt"] = strings.Repeat("the largest file: scanned first, and held\n", 10)
	tree(t, f.root, files)
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate"}})
	waitUntil(t, "5 files done", func() bool { return f.get(t, id).Progress.FilesDone >= 5 })
	var w service.Worker
	waitUntil(t, "the running scan's worker on a file", func() bool {
		if running := f.get(t, id); len(running.Workers) > 0 {
			require.Len(t, running.Workers, 1, "a running scan shows its worker")
			w = running.Workers[0]
		}
		return len(w.Files) > 0
	})
	require.True(t, w.PID > 0 && w.RSSBytes > 0 && w.Threads > 0, "%+v", w)
	require.Equal(t, f.rootResolved(t), w.Files[0].Root, "named as records name it: its root,")
	require.True(t, filepath.IsLocal(w.Files[0].Path), "and its path from there: %q", w.Files[0].Path)
	code, body := f.do(t, "DELETE", "/v1/scans/"+id, nil)
	require.Equal(t, http.StatusConflict, code, "%s", body)
	code, body = f.do(t, "POST", "/v1/scans/"+id+"/cancel", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	sc := f.get(t, id)
	require.Equal(t, service.Cancelled, sc.State)
	got := f.results(t, id)
	require.NotEmpty(t, got)
	require.NotContains(t, got, "hold.txt|gate", "the file held when the scan was cancelled has no record")
	require.Equal(t, service.Cancelled, sc.Summary.State)
	require.NotNil(t, sc.Summary.Interrupted, "the summary says how far it got")
	require.Contains(t, sc.SummaryText, "interrupted")

	code, body = f.do(t, "POST", "/v1/scans/"+id+"/cancel", nil)
	require.Equal(t, http.StatusConflict, code, "%s", body)
	code, _ = f.do(t, "DELETE", "/v1/scans/"+id, nil)
	require.Equal(t, http.StatusNoContent, code)
	code, _ = f.do(t, "GET", "/v1/scans/"+id, nil)
	require.Equal(t, http.StatusNotFound, code)
}

// The status page lists the scans with their state and progress, and a
// scan's page its findings: checked with Go's HTML parser.
func TestStatusPage(t *testing.T) {
	cfg := service.Config{Engine: engine.DefaultConfig()}
	cfg.Engine.Workers, cfg.Engine.MaxArchiveDepth = 1, 8
	f := start(t, cfg, "")
	packed := archivetest.Zip(t, archivetest.File{Name: "in/c.txt", Data: []byte("x\nSECRET\n")})
	tree(t, f.root, map[string]string{"a.txt": "SECRET\n", "b.zip": string(packed)})
	id := f.submit(t, service.Request{Paths: []string{f.root}})
	f.wait(t, id)
	code, page := f.do(t, "GET", "/", nil)
	require.Equal(t, http.StatusOK, code)
	doc, err := html.Parse(strings.NewReader(string(page)))
	require.NoError(t, err)
	rows := find(doc, func(n *html.Node) bool { return attr(n, "class") == "scan" })
	require.Len(t, rows, 1)
	require.Equal(t, id, attr(rows[0], "data-id"))
	require.Equal(t, "done", attr(rows[0], "data-state"))
	files := find(rows[0], func(n *html.Node) bool { return attr(n, "class") == "files" })
	require.Equal(t, "2 of 2", text(files[0]))

	code, page = f.do(t, "GET", "/scans/"+id, nil)
	require.Equal(t, http.StatusOK, code)
	doc, err = html.Parse(strings.NewReader(string(page)))
	require.NoError(t, err)
	list := find(doc, func(n *html.Node) bool { return attr(n, "id") == "findings-list" })
	require.Len(t, list, 1)
	require.Contains(t, text(list[0]), "secret-word")
	require.Contains(t, text(list[0]), "a.txt")
	require.Contains(t, text(list[0]), "b.zip!in/c.txt", "a finding inside an archive, named with its member")
}

// find returns the nodes under n that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// A full queue answers 429; a queued scan cancelled makes room.
func TestQueueFull(t *testing.T) {
	gate := t.TempDir() // hold.txt holds the first scan running until the test ends
	t.Setenv(gateEnv, gate)
	f := start(t, service.Config{MaxQueued: 1}, "")
	tree(t, f.root, map[string]string{"hold.txt": "x\n"})
	first := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	require.Equal(t, service.Running, f.get(t, first).State)
	second := f.submit(t, service.Request{Paths: []string{f.root}})
	code, body := f.do(t, "POST", "/v1/scans", service.Request{Paths: []string{f.root}})
	require.Equal(t, http.StatusTooManyRequests, code, "%s", body)

	code, body = f.do(t, "POST", "/v1/scans/"+second+"/cancel", nil) // a queued scan leaves the queue
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, service.Cancelled, f.get(t, second).State)
	f.submit(t, service.Request{Paths: []string{f.root}})
}

// A limit holds across every scan running at once: two scans of the
// holder scanner, with svc-sem capped at 1, never hold it together.
func TestLimitsHoldAcrossScans(t *testing.T) {
	holds := filepath.Join(t.TempDir(), "holds")
	t.Setenv(holdsEnv, holds)
	f := start(t, service.Config{MaxScans: 2, Limits: map[string]int64{"svc-sem": 1}}, "")
	var ids []string
	for _, d := range []string{"one", "two"} {
		dir := filepath.Join(f.root, d)
		tree(t, dir, map[string]string{"a": "", "b": "", "c": "", "d": "", "e": ""})
		ids = append(ids, f.submit(t, service.Request{Paths: []string{dir}, Scanners: []string{"holder"}}))
	}
	for _, id := range ids {
		require.Equal(t, service.Done, f.wait(t, id).State)
	}
	data, err := os.ReadFile(holds)
	require.NoError(t, err)
	type event struct {
		at    int64
		delta int
	}
	var events []event
	for _, line := range strings.Fields(string(data)) {
		at, err := strconv.ParseInt(line[1:], 10, 64)
		require.NoError(t, err)
		events = append(events, event{at, map[byte]int{'+': 1, '-': -1}[line[0]]})
	}
	slices.SortFunc(events, func(a, b event) int { return int(a.at - b.at) })
	held, most := 0, 0
	for _, e := range events {
		held += e.delta
		most = max(most, held)
	}
	require.Len(t, events, 20)
	require.Equal(t, 1, most, "svc-sem held by two at once")
}

// follow=1 streams a running scan's records as they are written, until
// the scan ends: every record, each once, in whole lines. The stream
// outlasts the time a body may take many times over, after a request
// with a body on the same connection.
func TestResultsFollow(t *testing.T) {
	f := startServing(t, service.Config{}, "", serving{limits: service.HTTPLimits{BodyTimeout: 50 * time.Millisecond}})
	tree(t, f.root, numbered(100))
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"slow"}})
	code, body := f.do(t, "GET", "/v1/scans/"+id+"/results?follow=1", nil)
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasSuffix(string(body), "\n"))
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Len(t, lines, 100, "the stream ended with the scan, holding all of it")
	require.Equal(t, service.Done, f.get(t, id).State)
	require.Len(t, f.results(t, id), 100)
}

// A scan that ended longer ago than Retain is removed, records and all.
func TestRetention(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data, Retain: 100 * time.Millisecond}, "")
	tree(t, f.root, map[string]string{"a": "x"})
	id := f.submit(t, service.Request{Paths: []string{f.root}})
	waitUntil(t, "scan "+id+", ended, to be removed", func() bool {
		code, _ := f.do(t, "GET", "/v1/scans/"+id, nil)
		return code == http.StatusNotFound
	})
	require.NoFileExists(t, filepath.Join(data, "scans", id+".jsonl"))
}
