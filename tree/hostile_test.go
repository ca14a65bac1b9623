package tree_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
)

// outcomes walks w (it must end: a walk that blocks fails the test) and
// says, per path, what each entry is.
func outcomes(t *testing.T, w *tree.Walker) map[string]string {
	t.Helper()
	got := map[string]string{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range w.Walk {
			switch {
			case e.Err != nil:
				got[e.Path] = "error " + e.Err.Category.String() + ": " + e.Err.Message
			case e.Skip != "":
				got[e.Path] = "skip " + e.Skip
			default:
				got[e.Path] = "file"
			}
		}
	}()
	testwait.Chan(t, 30*time.Second, "the walk to end (else it blocked)", done)
	return got
}

// TestIgnoreFilesThatAreNotFiles puts, in the place of each ignore file
// the walk reads, what a hostile tree may hold there: the walk never
// blocks or swells, applies no pattern from it, and records the file as an
// error saying why. Every ignore file the walk reads must have a row.
func TestIgnoreFilesThatAreNotFiles(t *testing.T) {
	places := []string{".gitignore", "sub/.gitignore", ".git/info/exclude"}
	kinds := []struct {
		name string
		make func(t *testing.T, path, outside string)
		says string
	}{
		{"fifo", func(t *testing.T, path, _ string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }, "named pipe"},
		{"dev-zero", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/zero", path)) }, "symlink"},
		{"dev-urandom", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/urandom", path)) }, "symlink"},
		{"link-out", func(t *testing.T, path, outside string) { require.NoError(t, os.Symlink(outside, path)) }, "symlink"},
		{"link-in", func(t *testing.T, path, _ string) {
			require.NoError(t, os.Symlink("/"+strings.Repeat("../", 20)+"etc/hostname", path))
		}, "symlink"},
		{"too-large", func(t *testing.T, path, _ string) {
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("*.x\n", beneath.MaxSettings/4+1)), 0o644))
		}, "larger than the limit"},
	}
	for _, place := range places {
		for _, k := range kinds {
			t.Run(place+"/"+k.name, func(t *testing.T) {
				root := t.TempDir()
				outside := filepath.Join(t.TempDir(), "ignore")
				write(t, outside, "*.txt\n")
				write(t, filepath.Join(root, "a.txt"), "x")
				write(t, filepath.Join(root, "sub", "b.txt"), "x")
				require.NoError(t, os.MkdirAll(filepath.Join(root, ".git", "info"), 0o755))
				k.make(t, filepath.Join(root, place), outside)
				got := outcomes(t, &tree.Walker{Roots: []string{root}})
				require.Equal(t, "file", got["a.txt"], "no pattern of the file applied")
				require.Equal(t, "file", got[filepath.Join("sub", "b.txt")])
				require.Contains(t, got[place], "error INVALID_INPUT: ignore file not used")
				require.Contains(t, got[place], k.says)
				require.Len(t, got, 3, "%v", got)
			})
		}
	}
}

// TestWithin: a walk beneath the directories it may walk opens its roots
// from them, never through a symlink out; a root that has left them is an
// error entry, and what lies elsewhere is never listed.
func TestWithin(t *testing.T) {
	base := t.TempDir()
	within, elsewhere := filepath.Join(base, "served"), filepath.Join(base, "elsewhere")
	write(t, filepath.Join(within, "sub", "a.txt"), "x")
	write(t, filepath.Join(within, "file.txt"), "x")
	write(t, filepath.Join(elsewhere, "secret.txt"), "x")
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(within, "swapped")))
	require.NoError(t, os.Symlink("sub", filepath.Join(within, "inner")))
	cases := []struct {
		root string
		want map[string]string
	}{
		{filepath.Join(within, "sub"), map[string]string{"a.txt": "file"}},
		{filepath.Join(within, "inner"), map[string]string{"a.txt": "file"}},
		{filepath.Join(within, "file.txt"), map[string]string{"file.txt": "file"}},
		{filepath.Join(within, "swapped"), map[string]string{"swapped": "error PERMISSION_DENIED: refused: open " + filepath.Join(within, "swapped") + ": leads outside the root"}},
		{elsewhere, map[string]string{"elsewhere": "error PERMISSION_DENIED: refused: open " + elsewhere + ": leads outside the root"}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, outcomes(t, &tree.Walker{Roots: []string{c.root}, Within: []string{within}}), c.root)
	}
}

// TestSwappedWhileWalked swaps a directory of the tree for a symlink out of
// it and back, over and over, while walks go on: no walk ever yields an
// entry of what lies outside.
func TestSwappedWhileWalked(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	for _, p := range []string{"dir/a.txt", "dir/b.txt", "dir/deeper/c.txt"} {
		write(t, filepath.Join(root, p), "x")
	}
	write(t, filepath.Join(outside, "OUTSIDE.txt"), "x")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		dir, aside := filepath.Join(root, "dir"), filepath.Join(root, "dir.aside")
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = os.Rename(dir, aside)
			_ = os.Symlink(outside, dir)
			_ = os.Remove(dir)
			_ = os.Rename(aside, dir)
		}
	})
	defer func() { close(stop); wg.Wait() }()
	swaps := 0
	for range 300 {
		for path, what := range outcomes(t, &tree.Walker{Roots: []string{root}}) {
			require.NotContains(t, path, "OUTSIDE", "a walk listed a directory outside its root")
			if strings.HasPrefix(path, "dir") && what != "file" {
				swaps++
			}
		}
	}
	t.Logf("%d entries saw a swap", swaps)
}

// TestTooDeep: a tree nested past MaxDepth is walked to it, and the
// directory below is an error entry.
func TestTooDeep(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, strings.Repeat("d/", tree.MaxDepth+1), "leaf.txt"), "x")
	write(t, filepath.Join(root, strings.Repeat("d/", tree.MaxDepth), "deepest.txt"), "x")
	var errs []*record.Error
	files := 0
	for e := range (&tree.Walker{Roots: []string{root}}).Walk {
		require.NotContains(t, e.Path, "leaf.txt")
		if e.Err != nil {
			errs = append(errs, e.Err)
		} else {
			files++
		}
	}
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Message, "nested deeper than")
	require.Equal(t, 1, files, "deepest.txt, at the deepest level walked")
}

// TestNamedSymlinkToAFile: a root a person names that is a symlink to a
// file is that file, named by its own directory (so that it is opened
// beneath it), and Root says the same.
func TestNamedSymlinkToAFile(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	write(t, filepath.Join(elsewhere, "real.txt"), "hello")
	link := filepath.Join(dir, "link.txt")
	require.NoError(t, os.Symlink(filepath.Join(elsewhere, "real.txt"), link))
	var got []tree.Entry
	for e := range (&tree.Walker{Roots: []string{link}}).Walk {
		got = append(got, e)
	}
	real, err := filepath.EvalSymlinks(elsewhere)
	require.NoError(t, err)
	require.Equal(t, []tree.Entry{{Root: real, Path: "real.txt", Size: 5}}, got)
	require.Equal(t, real, tree.Root(link))
}
