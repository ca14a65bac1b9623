package tree_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func write(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

// walk returns the paths of the files a walk yields, sorted, and its counts.
func walk(t *testing.T, w *tree.Walker) ([]string, tree.Counts) {
	t.Helper()
	var got []string
	var bytes int64
	for e := range w.Walk {
		require.Nil(t, e.Err, e.Path)
		require.Empty(t, e.Skip, e.Path)
		got = append(got, filepath.ToSlash(e.Path))
		bytes += e.Size
	}
	slices.Sort(got)
	require.Equal(t, bytes, w.Counts().Bytes)
	return got, w.Counts()
}

func TestFilter(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{
		"main.go", "app.min.js", "debug.log", "keep.log", "build/out.bin", "src/x.go", "src/gen/y.go",
		"src/gen/keep.go", "vendor/lib/z.go", ".git/info/exclude", "secret.local",
	} {
		write(t, filepath.Join(root, p), "x\n")
	}
	write(t, filepath.Join(root, ".gitignore"), "*.log\n!keep.log\nbuild/\n")
	write(t, filepath.Join(root, "src", ".gitignore"), "gen/*\n!gen/keep.go\n")
	write(t, filepath.Join(root, ".git", "info", "exclude"), "*.local\n")

	all := []string{".gitignore", "app.min.js", "build/out.bin", "debug.log", "keep.log", "main.go", "secret.local",
		"src/.gitignore", "src/gen/keep.go", "src/gen/y.go", "src/x.go", "vendor/lib/z.go"}
	cases := []struct {
		name   string
		filter tree.Filter
		want   []string
	}{
		{"gitignore", tree.Filter{}, []string{".gitignore", "app.min.js", "keep.log", "main.go", "src/.gitignore", "src/gen/keep.go", "src/x.go", "vendor/lib/z.go"}},
		{"no-ignore", tree.Filter{NoIgnore: true}, all},
		{"exclude names and paths", tree.Filter{NoIgnore: true, Exclude: []string{"*.min.js", "vendor/**", "src"}},
			[]string{".gitignore", "build/out.bin", "debug.log", "keep.log", "main.go", "secret.local"}},
		{"include", tree.Filter{Include: []string{"*.go"}}, []string{"main.go", "src/gen/keep.go", "src/x.go", "vendor/lib/z.go"}},
		{"include a path", tree.Filter{NoIgnore: true, Include: []string{"src/**/*.go"}}, []string{"src/gen/keep.go", "src/gen/y.go", "src/x.go"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, counts := walk(t, &tree.Walker{Roots: []string{root}, Filter: c.filter})
			require.Equal(t, c.want, got)
			require.Equal(t, int64(len(got)), counts.Found)
			require.True(t, counts.Ended)
			require.Equal(t, len(c.want) < len(all), counts.Ignored > 0)
		})
	}

	// A file named as a root is walked whatever the filter says, and named
	// by its directory and its name.
	w := &tree.Walker{Roots: []string{filepath.Join(root, "debug.log")}, Filter: tree.Filter{Exclude: []string{"*.log"}}}
	var entries []tree.Entry
	for e := range w.Walk {
		entries = append(entries, e)
	}
	require.Equal(t, []tree.Entry{{Root: root, Path: "debug.log", Size: 2}}, entries)
	require.Equal(t, root, tree.Root(filepath.Join(root, "debug.log")))
	require.Equal(t, []string{root}, tree.Roots([]string{root, filepath.Join(root, "main.go")}))

	require.ErrorIs(t, tree.Filter{Include: []string{"["}}.Check(), tree.ErrBadGlob)
	require.ErrorIs(t, tree.Filter{Exclude: []string{""}}.Check(), tree.ErrBadGlob)
	require.NoError(t, tree.Filter{Include: []string{"**/*.go"}}.Check())
}

// Every entry the walk cannot scan is yielded with the reason, never
// dropped: the walk's half of "bad input gets a record".
func TestEntriesThatCannotBeScanned(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write(t, filepath.Join(root, "ok.txt"), "fine\n")
	write(t, filepath.Join(outside, "secret.txt"), "x\n")
	write(t, filepath.Join(root, "locked", "x.txt"), "x\n")
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "out-link")))
	require.NoError(t, os.Symlink("loop-b", filepath.Join(root, "loop-a")))
	require.NoError(t, os.Symlink("loop-a", filepath.Join(root, "loop-b")))
	require.NoError(t, os.Symlink("ok.txt", filepath.Join(root, "in-link")))
	require.NoError(t, os.Symlink(filepath.Join(root, "locked"), filepath.Join(root, "dir-link")))
	require.NoError(t, os.Chmod(filepath.Join(root, "locked"), 0))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(root, "locked"), 0o755) })

	w := &tree.Walker{Roots: []string{root, filepath.Join(root, "missing")}}
	got := map[string]string{}
	for e := range w.Walk {
		switch {
		case e.Err != nil:
			got[e.Path] = "error " + e.Err.Category.String()
		case e.Skip != "":
			got[e.Path] = "skip " + e.Skip
		default:
			got[e.Path] = "file " + strconv.FormatInt(e.Size, 10)
		}
	}
	want := map[string]string{
		"ok.txt":   "file 5",
		"in-link":  "file 5",
		"pipe":     "skip not a regular file (named pipe)",
		"out-link": "skip symlink points outside the scanned root",
		"dir-link": "skip symlink to a directory (not followed)",
		"loop-a":   "error INVALID_INPUT",
		"loop-b":   "error INVALID_INPUT",
		"missing":  "error INVALID_INPUT",
	}
	if os.Geteuid() != 0 {
		want["locked"] = "error PERMISSION_DENIED"
	} else { // root reads any directory: the case is run again as nobody
		want["locked/x.txt"] = "file 2"
		t.Run("as nobody", asNobody)
	}
	require.Equal(t, want, got)
	require.Equal(t, int64(len(want)), w.Counts().Found)
}

// asNobody runs the test that calls it again in a copy of this test
// binary as the user nobody, for a case root cannot meet (a directory it
// may not read), and wants it to pass there.
func asNobody(t *testing.T) {
	dir, err := os.MkdirTemp("", "tree-as-nobody-") // a copy nobody may run goes in it, opened up
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "tree.test")
	data, err := os.ReadFile(os.Args[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	name := strings.SplitN(t.Name(), "/", 2)[0]
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s as nobody:\n%s", name, out)
	require.Contains(t, string(out), "--- PASS: "+name, "%s as nobody:\n%s", name, out)
}

// A walk stopped by its caller stops: nothing is yielded after false.
func TestWalkStops(t *testing.T) {
	root := t.TempDir()
	for i := range 10 {
		write(t, filepath.Join(root, strconv.Itoa(i)), "x")
	}
	n := 0
	for range (&tree.Walker{Roots: []string{root, root}}).Walk {
		if n++; n == 3 {
			break
		}
	}
	require.Equal(t, 3, n)
}

// TestLargestFirst: what the walk found comes out largest first, entries
// that need only a record before any file, and ending the sequence early
// stops the walk (goleak checks its goroutine). The queue streams: its
// first entry may be taken before the walk has found the rest, so the
// caller waits for the end of the walk after the first, and the order of
// the others is the full sort.
func TestLargestFirst(t *testing.T) {
	sizes := []int64{3, 100, 7, 0, 55, 100, 1}
	walked := make(chan struct{})
	walk := func(yield func(tree.Entry) bool) {
		defer close(walked)
		for _, s := range sizes {
			yield(tree.Entry{Path: strconv.FormatInt(s, 10), Size: s})
		}
		yield(tree.Entry{Path: "fifo", Skip: "not a regular file"})
		yield(tree.Entry{Path: "gone", Err: record.Errorf(record.InvalidInput, "gone")})
	}
	var order []string
	for e := range tree.LargestFirst(walk) {
		if order = append(order, e.Path); len(order) == 1 {
			<-walked
		}
	}
	records, files := []string{"fifo", "gone"}, []string{"100", "100", "55", "7", "3", "1", "0"}
	first := order[0]
	if i := slices.Index(records, first); i >= 0 {
		records = slices.Delete(records, i, i+1)
	} else {
		i := slices.Index(files, first)
		require.GreaterOrEqual(t, i, 0, "%q is not an entry of the walk", first)
		files = slices.Delete(files, i, i+1)
	}
	require.ElementsMatch(t, records, order[1:1+len(records)])
	require.Equal(t, files, order[1+len(records):])

	n := 0
	endless := func(yield func(tree.Entry) bool) {
		for i := int64(0); yield(tree.Entry{Size: i}); i++ {
		}
	}
	for range tree.LargestFirst(endless) {
		if n++; n == 1000 {
			break
		}
	}
	require.Equal(t, 1000, n)
}
