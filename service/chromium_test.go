package service_test

import (
	"cmp"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/service"
)

// chromium returns the path of Debian's Chromium, or skips the test
// saying why (outside CI: .ci/run installs it and sets
// FORKSCAN_REAL_TOOLS, and then a missing browser fails the test).
func chromium(t *testing.T) string {
	t.Helper()
	return realtool.Need(t, "chromium", "chromium-browser")
}

// The status page in a real browser: headless Chromium loads / while a
// scan runs (held on one file until the page is read, however long the
// browser takes to start), and the page it rendered shows the scan
// running with files done; loaded again at the end, done with every file.
// The browser reports no breach of the page's content policy (it logs one
// for an inline style or a stylesheet the policy refuses).
func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	f := start(t, service.Config{}, "")
	files := numbered(300)
	files["hold.txt"] = strings.Repeat("the largest file: scanned first, and held\n", 10)
	tree(t, f.root, files)
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	waitUntil(t, "files done while hold.txt is held", func() bool {
		sc := f.get(t, id)
		require.Equal(t, service.Running, sc.State)
		return sc.Progress.FilesDone > 0
	})
	state, done, found := pageInChromium(t, bin, f.http.URL+"/", id)
	require.Equal(t, "running", state)
	require.Positive(t, done)
	require.LessOrEqual(t, done, found)

	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))
	f.wait(t, id)
	state, done, found = pageInChromium(t, bin, f.http.URL+"/", id)
	require.Equal(t, "done", state)
	require.Equal(t, 301, done)
	require.Equal(t, 301, found)
}

// pageInChromium loads url in headless Chromium and reads, from the DOM
// it rendered, scan id's state and its files done and found.
func pageInChromium(t *testing.T, bin, url, id string) (state string, done, found int) {
	t.Helper()
	doc := domInChromium(t, bin, url)
	rows := find(doc, func(n *html.Node) bool { return attr(n, "data-id") == id })
	require.Len(t, rows, 1)
	cells := find(rows[0], func(n *html.Node) bool { return attr(n, "class") == "files" })
	require.Len(t, cells, 1)
	fields := strings.Fields(strings.Replace(text(cells[0]), "of at least", "of", 1)) // "N of M", "N of at least M" while walking
	require.Len(t, fields, 3, "%q", text(cells[0]))
	done, err := strconv.Atoi(fields[0])
	require.NoError(t, err)
	found, err = strconv.Atoi(fields[2])
	require.NoError(t, err)
	return attr(rows[0], "data-state"), done, found
}

// domInChromium loads url in headless Chromium and parses the DOM it
// rendered.
func domInChromium(t *testing.T, bin, url string) *html.Node {
	t.Helper()
	dom := inChromium(t, bin, url, "--dump-dom")
	doc, err := html.Parse(strings.NewReader(string(dom)))
	require.NoError(t, err)
	return doc
}

// inChromium runs headless Chromium on url with the flags of a browser on
// a machine with no network beyond loopback, and what says what to make
// of it (--dump-dom, --screenshot=FILE); it returns what Chromium wrote
// on stdout. Its console (where a breach of a content policy is told) is
// read from stderr: the test fails on a breach.
func inChromium(t *testing.T, bin, url string, what ...string) []byte {
	t.Helper()
	bound := testwait.Bound(2 * time.Minute) // a browser that never ends has hung
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(t.TempDir(), "profile"), "--enable-logging=stderr", "--v=0"}, what...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var console strings.Builder
	cmd.Stderr = &console
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("waited %v (%s=%g) for Chromium to render %s; it never did\n%s", bound, testwait.ScaleVar, testwait.Scale(), url, console.String())
	}
	require.NoError(t, err, "%s", console.String())
	var breaches []string
	for _, line := range strings.Split(console.String(), "\n") {
		if strings.Contains(line, "Content Security Policy") {
			breaches = append(breaches, line)
		}
	}
	require.Empty(t, breaches, "the page breaks its content policy")
	return out
}

// shotsEnv names a directory to keep the screenshots of
// TestStatusPageScreenshots in, for a person to look at; without it they
// go to the test's temporary directory.
const shotsEnv = "FORKSCAN_SCREENSHOTS"

// The status page as a person sees it, in a real browser: the index and
// a scan's page in each state a scan shows (queued, running with a
// worker on a file, done with findings), each rendered by headless
// Chromium without a breach of the content policy, taken as a screenshot
// (a PNG of the window's size; $FORKSCAN_SCREENSHOTS keeps them), and
// read back from the DOM it built: the words TestStatusPageWords checks
// in Go's parser are the words the browser shows.
func TestStatusPageScreenshots(t *testing.T) {
	bin := chromium(t)
	dir := cmp.Or(os.Getenv(shotsEnv), t.TempDir())
	s := newStages(t)
	// Each page as a screenshot, and but for the index (which
	// TestStatusPageInChromium reads) as the DOM the browser built.
	shot := func(name, path string) *html.Node {
		t.Helper()
		file := filepath.Join(dir, name+".png")
		inChromium(t, bin, s.f.http.URL+path, "--window-size=1280,1000", "--screenshot="+file)
		img, err := os.Open(file)
		require.NoError(t, err)
		defer img.Close()
		cfg, err := png.DecodeConfig(img)
		require.NoError(t, err)
		require.Equal(t, image.Point{1280, 1000}, image.Point{cfg.Width, cfg.Height}, name)
		if path == "/" {
			return nil
		}
		return domInChromium(t, bin, s.f.http.URL+path)
	}

	shot("index", "/")
	queued := shot("scan-queued", "/scans/"+s.queued)
	require.Equal(t, "waiting for a free slot", byID(t, queued, "progress"))
	require.Equal(t, "shellcheck", byID(t, queued, "tools"))
	running := shot("scan-running", "/scans/"+s.running)
	require.Equal(t, "running", byID(t, running, "state"))
	workers := find(running, func(n *html.Node) bool { return attr(n, "id") == "workers" })
	require.Len(t, workers, 1)
	require.Contains(t, text(workers[0]), "sub/hold.txt")
	require.Regexp(t, humanSize, byID(t, running, "bytes"))

	s.release()
	done := shot("scan-done", "/scans/"+s.running)
	require.Equal(t, "done", byID(t, done, "state"))
	require.Regexp(t, humanTime, byID(t, done, "ended"))
	require.Equal(t, "2", facts(t, done, "summary")["findings"])
	require.Contains(t, byID(t, done, "findings-list"), "sub/deep.txt")
}
