package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A worker's file is named by the deepest root it lies under and its path
// from there, as its records will be; a file under none keeps its name.
func TestRelativeTo(t *testing.T) {
	roots := []string{"/srv/repos", "/srv/repos/app", "/data"}
	cases := []struct {
		name string
		want WorkerFile
	}{
		{"/srv/repos/lib/a.go", WorkerFile{Root: "/srv/repos", Path: "lib/a.go"}},
		{"/srv/repos/app/main.go", WorkerFile{Root: "/srv/repos/app", Path: "main.go"}},
		{"/data/x.zip!in/c.txt", WorkerFile{Root: "/data", Path: "x.zip!in/c.txt"}},
		{"/srv/reposx/a.go", WorkerFile{Path: "/srv/reposx/a.go"}},
		{"/elsewhere/b", WorkerFile{Path: "/elsewhere/b"}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, relativeTo(roots, c.name), c.name)
	}
}

// Sizes and durations in the words of ls -h and a CI server's build list.
func TestPageWords(t *testing.T) {
	sizes := []struct {
		n    int64
		want string
	}{{0, "0 B"}, {912, "912 B"}, {1024, "1.00 KiB"}, {52260864, "49.8 MiB"}, {3 << 30, "3.00 GiB"}}
	for _, c := range sizes {
		require.Equal(t, c.want, size(c.n), c.n)
	}
	durations := []struct {
		d    time.Duration
		want string
	}{{0, "0 s"}, {350 * time.Millisecond, "350 ms"}, {4200 * time.Millisecond, "4.2 s"},
		{185 * time.Second, "3 min 5 s"}, {2*time.Hour + 3*time.Minute + 20*time.Second, "2 h 3 min"}}
	for _, c := range durations {
		require.Equal(t, c.want, pageDuration(c.d), c.d)
	}
	require.Equal(t, "1 file", count(1, "file", "files"))
	require.Equal(t, "0 files", count(0, "file", "files"))
}
