package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
)

func TestIgnoreIncludeExclude(t *testing.T) {
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
		name  string
		flags []string
		want  []string
	}{
		{"gitignore", nil, []string{".gitignore", "app.min.js", "keep.log", "main.go", "src/.gitignore", "src/gen/keep.go", "src/x.go", "vendor/lib/z.go"}},
		{"no-ignore", []string{"--no-ignore"}, all},
		{"exclude names and paths", []string{"--no-ignore", "--exclude", "*.min.js", "--exclude", "vendor/**", "--exclude", "src"},
			[]string{".gitignore", "build/out.bin", "debug.log", "keep.log", "main.go", "secret.local"}},
		{"include", []string{"--include", "*.go"}, []string{"main.go", "src/gen/keep.go", "src/x.go", "vendor/lib/z.go"}},
		{"include a path", []string{"--no-ignore", "--include", "src/**/*.go"}, []string{"src/gen/keep.go", "src/gen/y.go", "src/x.go"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, append(append([]string{"scan", "-s", "inventory"}, c.flags...), root)...)
			require.Equal(t, exitOK, code, errOut)
			var got []string
			for key := range records(t, out) {
				got = append(got, strings.TrimSuffix(key, "|inventory"))
			}
			slices.Sort(got)
			require.Equal(t, c.want, got)
			if len(c.want) < len(all) {
				require.Contains(t, errOut, "left out")
			}
		})
	}

	// A file named on the command line is scanned whatever the filters say.
	code, out, _ := cli(t, "scan", "-s", "inventory", "--exclude", "*.log", filepath.Join(root, "debug.log"))
	require.Equal(t, exitOK, code)
	require.Len(t, records(t, out), 1)
	code, _, errOut := cli(t, "scan", "--include", "[", root)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "not a valid glob")
}

// TestLargestFirst: what the walk found comes out largest first, and
// ending the sequence early stops the walk (goleak checks its goroutine).
func TestLargestFirst(t *testing.T) {
	q := newSizeQueue()
	for _, s := range []int64{3, 100, 7, 0, 55, 100, 1} {
		require.True(t, q.offer(engine.Job{Path: strconv.FormatInt(s, 10)}, s))
	}
	q.end()
	var order []string
	for j, ok := q.take(); ok; j, ok = q.take() {
		order = append(order, j.Path)
	}
	require.Equal(t, []string{"100", "100", "55", "7", "3", "1", "0"}, order)

	n := 0
	for range largestFirst(func(offer offerFunc) {
		for i := int64(0); offer(engine.Job{}, i); i++ { // a walk without end
		}
	}) {
		if n++; n == 1000 {
			break
		}
	}
	require.Equal(t, 1000, n)
}
