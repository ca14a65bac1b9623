package beneath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hostile makes a tree with every kind of entry a hostile tree may hold,
// and a file outside it that must never be read; it returns the root.
func hostile(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for name, body := range map[string]string{
		"ok.txt": "inside\n", "sub/inner.txt": "inner\n", "big.txt": strings.Repeat("x", 100),
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(base, "outside.txt"), []byte("OUTSIDE\n"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	real, err := filepath.EvalSymlinks(root)
	require.NoError(t, err)
	for link, target := range map[string]string{
		"zero": "/dev/zero", "urandom": "/dev/urandom", "passwd": "/etc/passwd",
		"out": "../outside.txt", "abs-out": filepath.Join(base, "outside.txt"),
		"abs-in": filepath.Join(real, "ok.txt"), "rel-in": "sub/inner.txt", "dotdot-in": "sub/../ok.txt",
		"dir-in": "sub", "dir-up": "..", "abs-dir-in": filepath.Join(real, "sub"),
		"loop-a": "loop-b", "loop-b": "loop-a", "broken": "missing", "fifo-link": "fifo",
		"sub/up-in": "../ok.txt", "sub/up-out": "../../outside.txt",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(root, link)))
	}
	return root
}

// modes runs f with openat2 where the kernel has it, and with the walk
// that stands in for it.
func modes(t *testing.T, f func(t *testing.T)) {
	t.Run("openat2", f)
	t.Run("walk", func(t *testing.T) {
		noOpenat2.Store(true)
		defer noOpenat2.Store(false)
		f(t)
	})
}

func TestOpenBeneath(t *testing.T) {
	cases := []struct {
		rel  string
		want string // the content, or "" when err is set
		err  error
	}{
		{"ok.txt", "inside\n", nil},
		{"sub/inner.txt", "inner\n", nil},
		{"abs-in", "inside\n", nil}, // an absolute symlink that names a place inside
		{"rel-in", "inner\n", nil},
		{"dotdot-in", "inside\n", nil},
		{"dir-in/inner.txt", "inner\n", nil},
		{"abs-dir-in/inner.txt", "inner\n", nil},
		{"sub/up-in", "inside\n", nil},
		{"sub/../ok.txt", "inside\n", nil},
		{"zero", "", ErrOutside},
		{"urandom", "", ErrOutside},
		{"passwd", "", ErrOutside},
		{"out", "", ErrOutside},
		{"abs-out", "", ErrOutside},
		{"dir-up/root/ok.txt", "", ErrOutside},
		{"sub/up-out", "", ErrOutside},
		{"../outside.txt", "", ErrOutside},
		{"/etc/passwd", "", ErrOutside},
		{"fifo", "", ErrNotRegular},
		{"fifo-link", "", ErrNotRegular},
		{"sub", "", ErrNotRegular},
		{"loop-a", "", syscall.ELOOP},
		{"broken", "", fs.ErrNotExist},
		{"missing.txt", "", fs.ErrNotExist},
		{"ok.txt/x", "", syscall.ENOTDIR},
	}
	root := hostile(t)
	modes(t, func(t *testing.T) {
		d, err := OpenDir(root)
		require.NoError(t, err)
		defer d.Close()
		for _, c := range cases {
			done := make(chan struct{})
			var got []byte
			go func() {
				defer close(done)
				got, err = d.ReadFile(c.rel, 1<<20)
			}()
			testwait.Chan(t, 10*time.Second, c.rel+": the open and the read to return (else they blocked)", done)
			if c.err != nil {
				require.ErrorIs(t, err, c.err, c.rel)
				require.Nil(t, got, c.rel)
				continue
			}
			require.NoError(t, err, c.rel)
			require.Equal(t, c.want, string(got), c.rel)
		}
	})
}

func TestReadFileIsBounded(t *testing.T) {
	root := hostile(t)
	d, err := OpenDir(root)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.ReadFile("big.txt", 99)
	require.ErrorIs(t, err, ErrTooLarge)
	b, err := d.ReadFile("big.txt", 100)
	require.NoError(t, err)
	require.Len(t, b, 100)
	b, err = d.ReadFile("big.txt", 0)
	require.NoError(t, err, "no limit")
	require.Len(t, b, 100)
	_, err = ReadFile(filepath.Join(root, "zero"), 10)
	require.ErrorIs(t, err, ErrNotRegular, "a file a person names is still refused if it is a device")
	_, err = ReadFile(filepath.Join(root, "fifo"), 10)
	require.ErrorIs(t, err, ErrNotRegular)
	b, err = ReadFile(filepath.Join(root, "abs-out"), 10)
	require.NoError(t, err, "a file a person names may be anywhere")
	require.Equal(t, "OUTSIDE\n", string(b))
}

func TestNoSymlinks(t *testing.T) {
	root := hostile(t)
	d, err := OpenDir(root)
	require.NoError(t, err)
	defer d.Close()
	for rel, want := range map[string]error{
		"ok.txt": nil, "sub/inner.txt": nil, "rel-in": ErrSymlink, "zero": ErrSymlink,
		"dir-in/inner.txt": ErrSymlink, "fifo": ErrNotRegular, "../outside.txt": ErrOutside, "missing": fs.ErrNotExist,
	} {
		_, err := d.ReadFileNoSymlinks(rel, 1<<20)
		if want == nil {
			require.NoError(t, err, rel)
		} else {
			require.ErrorIs(t, err, want, rel)
		}
	}
	sub, err := d.Sub("sub")
	require.NoError(t, err)
	require.NoError(t, sub.Close())
	_, err = d.Sub("dir-in")
	require.ErrorIs(t, err, ErrSymlink, "a directory's symlink is not entered")
	_, err = d.Sub("ok.txt")
	require.ErrorIs(t, err, syscall.ENOTDIR)
}

func TestOpenDirIn(t *testing.T) {
	root := hostile(t)
	real, err := filepath.EvalSymlinks(root)
	require.NoError(t, err)
	modes(t, func(t *testing.T) {
		cases := []struct {
			name string
			err  error
		}{
			{real, nil},
			{filepath.Join(real, "sub"), nil},
			{filepath.Join(real, "dir-in"), nil}, // a symlink that stays inside
			{filepath.Join(real, "dir-up"), ErrOutside},
			{filepath.Dir(real), ErrOutside},
			{"/etc", ErrOutside},
			{filepath.Join(real, "ok.txt"), syscall.ENOTDIR},
		}
		for _, c := range cases {
			d, err := OpenDirIn([]string{real}, c.name)
			if c.err != nil {
				require.ErrorIs(t, err, c.err, c.name)
				continue
			}
			require.NoError(t, err, c.name)
			_, err = d.ReadFile("inner.txt", 100)
			if c.name == real {
				_, err = d.ReadFile("ok.txt", 100)
			}
			require.NoError(t, err, c.name)
			require.NoError(t, d.Close())
		}
		d, err := OpenDirIn([]string{"/"}, real)
		require.NoError(t, err, "a root of / holds everything")
		require.NoError(t, d.Close())
	})
}

func TestEntriesAndStat(t *testing.T) {
	root := hostile(t)
	d, err := OpenDir(root)
	require.NoError(t, err)
	defer d.Close()
	list, err := d.Entries()
	require.NoError(t, err)
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	require.IsIncreasing(t, names)
	require.Contains(t, names, "fifo")
	info, err := d.Lstat("zero")
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink, info.Mode.Type())
	modes(t, func(t *testing.T) {
		info, err := d.Stat("abs-in")
		require.NoError(t, err)
		require.True(t, info.Mode.IsRegular())
		require.EqualValues(t, 7, info.Size)
		info, err = d.Stat("fifo-link")
		require.NoError(t, err)
		require.Equal(t, fs.ModeNamedPipe, info.Mode.Type())
		_, err = d.Stat("zero")
		require.ErrorIs(t, err, ErrOutside)
	})
}

// TestSwapsNeverLeadOut swaps a file and a directory of the tree for
// symlinks out of it, over and over, while opens of them go on: no read
// ever returns what lies outside.
func TestSwapsNeverLeadOut(t *testing.T) {
	modes(t, func(t *testing.T) {
		base := t.TempDir()
		root := filepath.Join(base, "root")
		outside := filepath.Join(base, "outside")
		require.NoError(t, os.MkdirAll(filepath.Join(root, "dir"), 0o755))
		require.NoError(t, os.MkdirAll(outside, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(outside, "file"), []byte("OUTSIDE"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(root, "dir", "file"), []byte("inside"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(root, "file"), []byte("inside"), 0o644))
		d, err := OpenDir(root)
		require.NoError(t, err)
		defer d.Close()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		swap := func(name, target string) {
			defer wg.Done()
			real, aside := filepath.Join(root, name), filepath.Join(root, name+".aside")
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = os.Rename(real, aside)
				_ = os.Symlink(target, real)
				_ = os.Remove(real)
				_ = os.Rename(aside, real)
			}
		}
		wg.Add(2)
		go swap("file", filepath.Join(outside, "file"))
		go swap("dir", outside)
		var opened, refused atomic.Int64
		for range 2000 {
			for _, rel := range []string{"file", "dir/file"} {
				b, err := d.ReadFile(rel, 100)
				switch {
				case err == nil:
					require.Equal(t, "inside", string(b), "read outside the root through %s", rel)
					opened.Add(1)
				case errors.Is(err, ErrOutside):
					refused.Add(1)
				}
			}
		}
		close(stop)
		wg.Wait()
		t.Logf("%d opened inside, %d refused", opened.Load(), refused.Load())
		require.Positive(t, refused.Load(), "the swaps were seen")
	})
}
