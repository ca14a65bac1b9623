package secrets_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/leaks"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

const magicRule = "[[rules]]\nid = \"magic\"\nregex = '''XYZZY'''\n"

// find runs Find, failing the test if it blocks.
func find(t *testing.T, l secrets.Lookup) (secrets.Options, []string, error) {
	t.Helper()
	type found struct {
		o    secrets.Options
		read []string
		err  error
	}
	done := make(chan found, 1)
	go func() {
		o, read, err := secrets.Find(l)
		done <- found{o, read, err}
	}()
	f := testwait.Chan(t, 30*time.Second, "Find to return (else it blocked)", done)
	return f.o, f.read, f.err
}

// TestFindInHostileTrees puts, in the place of each file Find reads from a
// tree, what a hostile tree may hold there: Find never blocks or swells,
// and either refuses with an error naming the file or reads nothing
// outside the tree. Every file Find reads must have a row.
func TestFindInHostileTrees(t *testing.T) {
	places := []string{".gitleaks.toml", ".gitleaksignore"}
	kinds := []struct {
		name string
		make func(t *testing.T, path, outside string)
		err  error
	}{
		{"fifo", func(t *testing.T, path, _ string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }, beneath.ErrNotRegular},
		{"dev-zero", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/zero", path)) }, beneath.ErrOutside},
		{"dev-urandom", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/urandom", path)) }, beneath.ErrOutside},
		{"link-out", func(t *testing.T, path, outside string) { require.NoError(t, os.Symlink(outside, path)) }, beneath.ErrOutside},
		{"too-large", func(t *testing.T, path, _ string) {
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("# x\n", beneath.MaxSettings/4+1)), 0o644))
		}, beneath.ErrTooLarge},
	}
	for _, place := range places {
		for _, k := range kinds {
			t.Run(place+"/"+k.name, func(t *testing.T) {
				root := t.TempDir()
				outside := filepath.Join(t.TempDir(), "outside")
				require.NoError(t, os.WriteFile(outside, []byte(magicRule), 0o644))
				k.make(t, filepath.Join(root, place), outside)
				_, _, err := find(t, secrets.Lookup{Roots: []string{root}})
				require.ErrorIs(t, err, secrets.ErrConfigFile)
				require.ErrorIs(t, err, k.err)
				require.ErrorContains(t, err, place)
			})
		}
	}
}

// TestFindExtends: a config found in a tree may extend files of the tree
// only; one a person names may extend any file. Either way the extended
// files are read by Find and carried in the options, so loading the
// config (in a worker too) never opens a file.
func TestFindExtends(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "shared.toml")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ci"), 0o755))
	require.NoError(t, os.WriteFile(outside, []byte(magicRule), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "ci", "rules.toml"), []byte(magicRule), 0o644))
	extend := func(path string) string { return "[extend]\npath = \"" + path + "\"\n" }
	cases := []struct {
		name   string
		config string // .gitleaks.toml of the tree
		named  bool   // the person names it with Lookup.Config instead
		err    error
	}{
		{"tree, inside, relative", extend("ci/rules.toml"), false, nil},
		{"tree, inside, absolute", extend(filepath.Join(root, "ci", "rules.toml")), false, nil},
		{"tree, outside, relative", extend("../shared.toml"), false, beneath.ErrOutside},
		{"tree, outside, absolute", extend(outside), false, beneath.ErrOutside},
		{"tree, /etc/passwd", extend("/etc/passwd"), false, beneath.ErrOutside},
		{"tree, a FIFO", extend("ci/fifo"), false, beneath.ErrNotRegular},
		{"named, outside", extend(outside), true, nil},
		{"named, relative to it", extend("../../shared.toml"), true, nil},
	}
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "ci", "fifo"), 0o644))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := secrets.Lookup{Roots: []string{root}}
			path := filepath.Join(root, ".gitleaks.toml")
			if c.named {
				path = filepath.Join(root, "ci", "named.toml")
				l.Config = path
			}
			require.NoError(t, os.WriteFile(path, []byte(c.config), 0o644))
			defer os.Remove(path)
			o, read, err := find(t, l)
			if c.err != nil {
				require.ErrorIs(t, err, secrets.ErrConfigFile)
				require.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, o.Files, 1)
			require.Len(t, read, 2, "the config and the file it extends")
			sc, err := secrets.New(o) // as a worker builds it: from the options alone
			require.NoError(t, err)
			require.NotNil(t, sc)
		})
	}
}

// TestLoadConfigOpensNoFile: a config's [extend] path not among the files
// Find read is an error, not a read of the disk.
func TestLoadConfigOpensNoFile(t *testing.T) {
	_, err := secrets.LoadConfig("[extend]\npath = \"/etc/passwd\"\n", nil)
	require.ErrorContains(t, err, "not read with it")
	require.False(t, errors.Is(err, fs.ErrPermission))
	_, err = secrets.LoadConfig("[extend]\npath = \"/etc/passwd\"\n", map[string]string{"/etc/passwd": magicRule})
	require.NoError(t, err, "read from the files given, not from the disk")
}

// TestConfigsThatExtendLoadAgain: a process that loads many configs that
// extend others (a server checking each scan's; an in-process run whose
// workers each load one) extends every one of them, as the first.
func TestConfigsThatExtendLoadAgain(t *testing.T) {
	for i := range 5 {
		cfg, err := secrets.LoadConfig("[extend]\nuseDefault = true\n", nil)
		require.NoError(t, err)
		require.True(t, slices.ContainsFunc(cfg.Rules, func(r *leaks.Rule) bool { return r.ID == "github-pat" }),
			"load %d has the default rules", i)
	}
}
