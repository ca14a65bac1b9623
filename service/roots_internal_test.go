package service

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithin(t *testing.T) {
	cases := []struct {
		root, p string
		in      bool
	}{
		{"/srv/repos", "/srv/repos", true},
		{"/srv/repos", "/srv/repos/app", true},
		{"/srv/repos", "/srv/repos/app/x.go", true},
		{"/srv/repos", "/srv/repos-old/app", false},
		{"/srv/repos", "/srv", false},
		{"/srv/repos", "/", false},
		{"/", "/", true},
		{"/", "/tmp/x", true},
		{"/", "/srv/repos/app", true},
	}
	for _, c := range cases {
		require.Equal(t, c.in, within(c.root, c.p), "within(%q, %q)", c.root, c.p)
	}
}

// inRoots takes what lies inside a root once resolved, "/" included,
// and refuses the rest with the service's errors.
func TestInRoots(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	root, outside := filepath.Join(dir, "root"), filepath.Join(dir, "outside")
	for _, d := range []string{filepath.Join(root, "app"), filepath.Join(dir, "root-old"), outside} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "out")))
	require.NoError(t, os.Symlink("app", filepath.Join(root, "in")))
	cases := []struct {
		name  string
		roots []string
		path  string
		want  string // the resolved path, if taken
		err   error
	}{
		{"the root", []string{root}, root, root, nil},
		{"inside", []string{root}, filepath.Join(root, "app"), filepath.Join(root, "app"), nil},
		{"a symlink inside", []string{root}, filepath.Join(root, "in"), filepath.Join(root, "app"), nil},
		{"a symlink out", []string{root}, filepath.Join(root, "out"), "", ErrForbidden},
		{"dot-dot out", []string{root}, filepath.Join(root, "app") + "/../../outside", "", ErrForbidden},
		{"a sibling sharing the prefix", []string{root}, filepath.Join(dir, "root-old"), "", ErrForbidden},
		{"relative", []string{root}, "root/app", "", ErrBadRequest},
		{"missing", []string{root}, filepath.Join(root, "nope"), "", ErrBadRequest},
		{"under /", []string{"/"}, filepath.Join(root, "app"), filepath.Join(root, "app"), nil},
		{"/ under /", []string{"/"}, "/", "/", nil},
		{"a symlink under /", []string{"/"}, filepath.Join(root, "out"), outside, nil},
		{"the second root", []string{outside, root}, filepath.Join(root, "app"), filepath.Join(root, "app"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{roots: c.roots, log: slog.New(slog.DiscardHandler)}
			got, err := s.inRoots(c.path)
			if c.err != nil {
				require.True(t, errors.Is(err, c.err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// Every version of the database has its step to the next.
func TestUpgradesReachTheVersion(t *testing.T) {
	require.Len(t, upgrades, schemaVersion)
}
