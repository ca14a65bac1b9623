package service_test

import (
	"context"
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
	for sc := f.get(t, id); sc.Progress.FilesDone == 0; sc = f.get(t, id) {
		require.Equal(t, service.Running, sc.State)
		time.Sleep(10 * time.Millisecond)
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The flags of a browser on a machine with no network beyond loopback;
	// its console (where a breach of a content policy is told) on stderr.
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--enable-logging=stderr", "--v=0", "--dump-dom", url)
	var console strings.Builder
	cmd.Stderr = &console
	dom, err := cmd.Output()
	require.NoError(t, err, "%s", console.String())
	var breaches []string
	for _, line := range strings.Split(console.String(), "\n") {
		if strings.Contains(line, "Content Security Policy") {
			breaches = append(breaches, line)
		}
	}
	require.Empty(t, breaches, "the page breaks its content policy")
	doc, err := html.Parse(strings.NewReader(string(dom)))
	require.NoError(t, err)
	rows := find(doc, func(n *html.Node) bool { return attr(n, "data-id") == id })
	require.Len(t, rows, 1, "%s", dom)
	cells := find(rows[0], func(n *html.Node) bool { return attr(n, "class") == "files" })
	require.Len(t, cells, 1)
	fields := strings.Fields(strings.TrimSuffix(text(cells[0]), "+")) // "N of M", "+" while walking
	require.Len(t, fields, 3, "%q", text(cells[0]))
	done, err = strconv.Atoi(fields[0])
	require.NoError(t, err)
	found, err = strconv.Atoi(fields[2])
	require.NoError(t, err)
	return attr(rows[0], "data-state"), done, found
}
