package service_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker/scan"
)

// gateEnv names a directory for the gate scanner: on a file called
// hold.txt it leaves "holding" there, and waits until "release" appears.
const gateEnv = "FORKSCAN_TEST_GATE"

func init() {
	scan.Register(scan.Def{Name: "gate", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			dir := os.Getenv(gateEnv)
			if dir == "" || filepath.Base(f.Path) != "hold.txt" {
				return scan.Report{}, nil
			}
			_ = os.WriteFile(filepath.Join(dir, "holding"), nil, 0o644)
			for {
				if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
					return scan.Report{}, nil
				}
				select {
				case <-ctx.Done():
					return scan.Report{}, ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
			}
		}), nil
	}})
}

// waitFor waits until path exists.
func waitFor(t *testing.T, path string) {
	t.Helper()
	waitUntil(t, path+" to exist", func() bool { _, err := os.Stat(path); return err == nil })
}

// outsideTree makes a directory outside the server's roots holding what
// must never be read: a SECRET line in inner.txt and target.txt. It
// returns the directory and the SHA-256 of those files.
func outsideTree(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	body := "SECRET from outside the roots\n"
	tree(t, dir, map[string]string{"inner.txt": body, "target.txt": body})
	sum := sha256.Sum256([]byte(body))
	return dir, string(sum[:])
}

// requireNothingFromOutside checks that no record of a scan carries what
// lies outside the roots: no finding, no hash of it.
func requireNothingFromOutside(t *testing.T, got map[string]record.Record, outsideSum string) {
	t.Helper()
	for key, r := range got {
		require.Empty(t, r.Findings, "%s: a finding of content outside the roots", key)
		require.NotEqual(t, outsideSum, string(r.SHA256), "%s: the hash of a file outside the roots", key)
	}
}

// TestSwapWhileRunning swaps a file and a directory of a running scan's
// tree for symlinks out of the roots while its one worker is held on
// another file: their records say they were refused, and none carries
// what lies outside.
func TestSwapWhileRunning(t *testing.T) {
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	outside, outsideSum := outsideTree(t)
	cfg := service.Config{Engine: engine.DefaultConfig()}
	cfg.Engine.Workers, cfg.Engine.Tasks = 1, 1
	f := start(t, cfg, "")
	tree(t, f.root, map[string]string{
		"hold.txt":      strings.Repeat("held first: the largest file\n", 100),
		"target.txt":    "inside\n",
		"dir/inner.txt": "inside\n",
	})
	id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"gate", "marker"}})
	waitFor(t, filepath.Join(gate, "holding"))
	require.NoError(t, os.Rename(filepath.Join(f.root, "target.txt"), filepath.Join(f.root, "target.orig")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "target.txt"), filepath.Join(f.root, "target.txt")))
	require.NoError(t, os.Rename(filepath.Join(f.root, "dir"), filepath.Join(f.root, "dir.orig")))
	require.NoError(t, os.Symlink(outside, filepath.Join(f.root, "dir")))
	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))

	sc := f.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	got := f.results(t, id)
	requireNothingFromOutside(t, got, outsideSum)
	for _, key := range []string{"target.txt|marker", "dir/inner.txt|marker"} {
		require.Equal(t, record.StatusSkipped, got[key].Status, key)
		require.Contains(t, got[key].Reason, "refused", key)
	}
	require.Equal(t, record.StatusOK, got["hold.txt|marker"].Status)
}

// TestSwapWhileQueued swaps the directory a queued scan names for a
// symlink out of the roots: the scan never reads there, and says why.
func TestSwapWhileQueued(t *testing.T) {
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	outside, outsideSum := outsideTree(t)
	f := start(t, service.Config{MaxScans: 1}, "")
	tree(t, filepath.Join(f.root, "busy"), map[string]string{"hold.txt": "x"})
	tree(t, filepath.Join(f.root, "sub"), map[string]string{"inner.txt": "inside\n"})
	busy := f.submit(t, service.Request{Paths: []string{filepath.Join(f.root, "busy")}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	id := f.submit(t, service.Request{Paths: []string{filepath.Join(f.root, "sub")}})
	require.NoError(t, os.Rename(filepath.Join(f.root, "sub"), filepath.Join(f.root, "sub.orig")))
	require.NoError(t, os.Symlink(outside, filepath.Join(f.root, "sub")))
	require.NoError(t, os.WriteFile(filepath.Join(gate, "release"), nil, 0o644))
	require.Equal(t, service.Done, f.wait(t, busy).State)

	sc := f.wait(t, id)
	got := f.results(t, id)
	requireNothingFromOutside(t, got, outsideSum)
	require.NotContains(t, got, "inner.txt|marker", "a file outside the roots was scanned")
	if sc.State == service.Done { // the walk refused the root: its record says so
		require.Len(t, got, 1, "%v", got)
		for _, r := range got {
			require.Equal(t, record.StatusError, r.Status)
			require.Contains(t, r.Error.Message, "outside")
		}
	} else { // refused at launch, before any walk
		require.Equal(t, service.Failed, sc.State)
		require.Contains(t, sc.Error, "outside")
	}
}

// TestHostileTreesInTheService: a scan of a tree with a FIFO, /dev/zero or
// a link out of the tree in the place of each file the service reads ends
// (with records, or failed with the reason), and cancel answers while one
// runs.
func TestHostileTreesInTheService(t *testing.T) {
	places := []string{".gitignore", "sub/.gitignore", ".git/info/exclude", ".gitleaks.toml", ".gitleaksignore"}
	kinds := map[string]func(path, outside string) error{
		"fifo":     func(path, _ string) error { return syscall.Mkfifo(path, 0o644) },
		"dev-zero": func(path, _ string) error { return os.Symlink("/dev/zero", path) },
		"link-out": func(path, outside string) error { return os.Symlink(outside, path) },
	}
	f := start(t, service.Config{MaxScans: 4}, "")
	outside, _ := outsideTree(t)
	type scanOf struct{ id, what string }
	var scans []scanOf
	for _, place := range places {
		for name, make := range kinds {
			dir := filepath.Join(f.root, strings.ReplaceAll(place, "/", "_")+"-"+name)
			tree(t, dir, map[string]string{"a.txt": "x", "sub/b.txt": "y", ".git/info/.keep": ""})
			require.NoError(t, make(filepath.Join(dir, place), filepath.Join(outside, "inner.txt")))
			scanners := []string{"marker"}
			if strings.HasPrefix(place, ".gitleaks") {
				scanners = []string{"secrets"}
			}
			scans = append(scans, scanOf{f.submit(t, service.Request{Paths: []string{dir}, Scanners: scanners}), place + " " + name})
		}
	}
	for _, s := range scans {
		sc := f.wait(t, s.id)
		switch {
		case sc.State == service.Failed:
			require.NotEmpty(t, sc.Error, s.what)
		default:
			require.Equal(t, service.Done, sc.State, s.what)
			require.Positive(t, sc.Progress.Errors, "%s: the file that could not be used has its record", s.what)
		}
	}

	// A scan of such a tree, cancelled while it runs, is cancelled.
	gate := t.TempDir()
	t.Setenv(gateEnv, gate)
	dir := filepath.Join(f.root, "cancelled")
	tree(t, dir, map[string]string{"hold.txt": "x"})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, ".gitignore"), 0o644))
	id := f.submit(t, service.Request{Paths: []string{dir}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	code, body := f.do(t, "POST", "/v1/scans/"+id+"/cancel", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, service.Cancelled, f.get(t, id).State)
}

// TestSecretsConfigsOfTreesStayInThem: a .gitleaks.toml in a scanned tree
// that extends a file outside the tree fails its scan, saying why, the
// file unread; a config the operator names may extend any file.
func TestSecretsConfigsOfTreesStayInThem(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "rules.toml")
	require.NoError(t, os.WriteFile(outside, []byte("[[rules]]\nid = \"magic\"\nregex = '''XYZZY'''\n"), 0o644))
	operator := filepath.Join(t.TempDir(), "operator.toml")
	require.NoError(t, os.WriteFile(operator, []byte("[extend]\npath = \""+outside+"\"\n"), 0o644))
	for _, c := range []struct {
		name   string
		config string
		state  service.State
	}{
		{"the tree's", "", service.Failed},
		{"the operator's", operator, service.Done},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, service.Config{SecretsConfig: c.config}, "")
			tree(t, f.root, map[string]string{"a.txt": "XYZZY\n", ".gitleaks.toml": "[extend]\npath = \"" + outside + "\"\n"})
			id := f.submit(t, service.Request{Paths: []string{f.root}, Scanners: []string{"secrets"}})
			sc := f.wait(t, id)
			require.Equal(t, c.state, sc.State, sc.Error)
			if c.state == service.Failed {
				require.Contains(t, sc.Error, "leads outside the root")
				return
			}
			got := f.results(t, id)
			require.Len(t, got["a.txt|secrets"].Findings, 1, "the operator's extended rule")
			code, text := f.do(t, "GET", "/v1/scans/"+id+"/results?format=text", nil)
			require.Equal(t, http.StatusOK, code)
			rule := got["a.txt|secrets"].Findings[0].Rule
			require.Contains(t, string(text), "fingerprint: a.txt:"+rule+":1", "the line of a .gitleaksignore, as the CLI shows it")
		})
	}
}
