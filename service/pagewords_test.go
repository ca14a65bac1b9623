package service_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/forkscan/forkscan/service"
)

// stages is a server with a scan of each kind a status page shows: one
// running, held on hold.txt with its worker on it (findings in key.txt,
// sub/deep.txt), and one queued behind it, asking for a tool. release
// lets the running one end (the queued one is cancelled first: its tool
// need not be installed).
type stages struct {
	f               *fixture
	running, queued string
	release         func()
}

func newStages(t *testing.T) *stages {
	t.Helper()
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	// One worker, and hold.txt held as long as a loaded machine takes to
	// read the pages (a browser or two each), never timed out: start's.
	f := start(t, service.Config{}, "")
	files := numbered(40)
	files["sub/hold.txt"] = strings.Repeat("the largest file: scanned first, and held\n", 20)
	files["key.txt"] = "token = SECRET\n"
	files["sub/deep.txt"] = "x\ny\nSECRET again\n"
	tree(t, f.root, files)
	s := &stages{f: f}
	s.running = f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate", "marker"}})
	waitFor(t, filepath.Join(gate, "holding"))
	waitUntil(t, "the running scan's worker on a file, and its 2 findings", func() bool {
		sc := f.get(t, s.running)
		return len(sc.Workers) > 0 && len(sc.Workers[0].Files) > 0 && sc.Progress.Findings == 2
	})
	s.queued = f.submit(t, service.Request{Paths: []string{f.root}, Tools: []string{"shellcheck"}})
	s.release = func() {
		code, body := f.do(t, "POST", "/v1/scans/"+s.queued+"/cancel", nil)
		require.Equal(t, http.StatusOK, code, "%s", body)
		require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))
		require.Equal(t, service.Done, f.wait(t, s.running).State)
	}
	return s
}

// page reads a page of the server and parses it.
func (f *fixture) page(t *testing.T, path string) *html.Node {
	t.Helper()
	code, body := f.do(t, "GET", path, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	doc, err := html.Parse(strings.NewReader(string(body)))
	require.NoError(t, err)
	return doc
}

// byID is the text of the element with id under n.
func byID(t *testing.T, n *html.Node, id string) string {
	t.Helper()
	found := find(n, func(n *html.Node) bool { return attr(n, "id") == id })
	require.Len(t, found, 1, "#%s", id)
	return text(found[0])
}

// facts reads the table with id under n: each row's header → its cell.
func facts(t *testing.T, n *html.Node, id string) map[string]string {
	t.Helper()
	tables := find(n, func(n *html.Node) bool { return attr(n, "id") == id })
	require.Len(t, tables, 1, "#%s", id)
	out := map[string]string{}
	for _, row := range find(tables[0], func(n *html.Node) bool { return n.Data == "tr" }) {
		th := find(row, func(n *html.Node) bool { return n.Data == "th" })
		td := find(row, func(n *html.Node) bool { return n.Data == "td" })
		if len(th) == 1 && len(td) == 1 {
			out[text(th[0])] = text(td[0])
		}
	}
	return out
}

var (
	humanSize = regexp.MustCompile(`^\d+(\.\d+)? (B|KiB|MiB|GiB)$`)
	humanTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`)
	humanTook = regexp.MustCompile(`^(0 s|\d+ ms|\d+\.\d s|\d+ min \d+ s|\d+ h \d+ min)$`)
)

// The status page in words a person reads: a queued scan waits (no "0 of
// 0"), with its tools apart from its scanners; a running one shows its
// start, how long it has run and its workers, their memory in IEC units
// and their files relative to their root, as its findings are; a done
// one its start, end, duration and summary in fields, with the CLI's
// text folded away and without its "forkscan:" prefix.
func TestStatusPageWords(t *testing.T) {
	s := newStages(t)
	f := s.f

	index := f.page(t, "/")
	rows := find(index, func(n *html.Node) bool { return attr(n, "class") == "scan" })
	require.Len(t, rows, 2)
	require.Equal(t, s.queued, attr(rows[0], "data-id"))
	require.Contains(t, text(rows[0]), "waiting")
	require.NotContains(t, text(rows[0]), "0 of 0")
	require.Contains(t, text(rows[0]), "· shellcheck", "tools apart from scanners")

	q := f.page(t, "/scans/"+s.queued)
	require.Equal(t, "waiting for a free slot", byID(t, q, "progress"))
	require.Equal(t, "—", byID(t, q, "started"))
	require.Equal(t, "—", byID(t, q, "duration"))
	require.Regexp(t, humanTime, byID(t, q, "created"))
	require.Equal(t, "shellcheck", byID(t, q, "tools"))
	require.NotContains(t, byID(t, q, "scanners"), "exec", "the scanner that runs tools is not listed among the scanners")

	r := f.page(t, "/scans/"+s.running)
	require.Equal(t, "running", byID(t, r, "state"))
	require.Regexp(t, humanTime, byID(t, r, "started"))
	require.Equal(t, "—", byID(t, r, "ended"))
	require.Regexp(t, humanTook, byID(t, r, "duration"))
	require.Regexp(t, humanSize, byID(t, r, "bytes"))
	workers := find(r, func(n *html.Node) bool { return attr(n, "id") == "workers" })
	require.Len(t, workers, 1)
	cells := find(workers[0], func(n *html.Node) bool { return n.Data == "td" })
	require.Len(t, cells, 5, "one worker: pid, memory, CPU, threads, files")
	require.Regexp(t, humanSize, text(cells[1]))
	require.Regexp(t, humanTook, text(cells[2]))
	require.Equal(t, "sub/hold.txt", text(cells[4]), "relative to its root, as findings are")
	code := find(cells[4], func(n *html.Node) bool { return n.Data == "code" })
	require.Equal(t, f.rootResolved(t), attr(code[0], "title"), "its root on hover")
	waitUntil(t, "sub/deep.txt in the findings list", func() bool { // the records reach their file a moment after the counts
		return strings.Contains(byID(t, f.page(t, "/scans/"+s.running), "findings-list"), "sub/deep.txt")
	})
	require.Empty(t, find(r, func(n *html.Node) bool { return attr(n, "id") == "summary" }), "no summary while it runs")

	s.release()
	d := f.page(t, "/scans/"+s.running)
	require.Equal(t, "done", byID(t, d, "state"))
	require.Regexp(t, humanTime, byID(t, d, "ended"))
	require.Regexp(t, humanTook, byID(t, d, "duration"))
	summary := facts(t, d, "summary")
	require.Equal(t, "done", summary["run ended"])
	require.Equal(t, "2", summary["findings"])
	require.Equal(t, "43", summary["files"])
	require.Equal(t, "86: 86 ok, 0 error, 0 skipped", summary["records"])
	scanned := strings.Split(summary["scanned"], " in ")
	require.Len(t, scanned, 2, summary["scanned"])
	require.Regexp(t, humanSize, scanned[0])
	took, ok := strings.CutSuffix(scanned[1], " by 1 worker")
	require.True(t, ok, summary["scanned"])
	require.Regexp(t, humanTook, took)
	details := find(d, func(n *html.Node) bool { return n.Data == "details" })
	require.Len(t, details, 1, "the CLI's text, folded")
	require.NotContains(t, text(d), "forkscan: ")
	require.NotContains(t, text(d), " bytes")
}
