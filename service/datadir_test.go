package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/service"
)

// newDataEnv makes this test binary, run by TestMain, start a server
// (service.New) over the data directory it names and exit: 0 if it
// started, 1 with the error on stderr if not. TestBadDataDirectory runs
// it as a user without privileges where the test runs as root.
const newDataEnv = "FORKSCAN_TEST_NEW_DATA"

// newOverData is the process newDataEnv asks for.
func newOverData(data string) int {
	srv, err := service.New(context.Background(), service.Config{Data: data, Roots: []string{"/"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = srv.Close()
	return 0
}

// nobody is the user a server is run as where the test runs as root:
// root writes any directory its mode forbids, the server's own user
// does not.
const nobody = 65534

// A data directory the server cannot use is an error at start: one it
// cannot write (set up, then made read-only: its mode, for a server
// that does not run as root; run as root, the test starts the server as
// nobody, as an operator would run it), a file, a path under a file (no
// user can write those), one whose database a newer forkscan made.
func TestBadDataDirectory(t *testing.T) {
	root := t.TempDir()
	cfg := service.Config{Roots: []string{root}}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, c := range []struct {
		name string
		data string
		is   error
	}{
		{"a file", file, syscall.ENOTDIR},
		{"a path under a file", filepath.Join(file, "data"), syscall.ENOTDIR},
	} {
		cfg.Data = c.data
		_, err := service.New(context.Background(), cfg)
		require.ErrorContains(t, err, "data directory", c.name)
		require.ErrorIs(t, err, c.is, c.name)
	}

	t.Run("read-only", func(t *testing.T) {
		ro := readOnlyData(t)
		if os.Geteuid() != 0 {
			cfg.Data = ro
			_, err := service.New(context.Background(), cfg)
			require.ErrorContains(t, err, "data directory")
			require.ErrorIs(t, err, fs.ErrPermission)
			return
		}
		out, err := runAs(t, nobody, newDataEnv+"="+ro)
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s", out)
		require.Equal(t, 1, exit.ExitCode(), "%s", out)
		require.Contains(t, out, "data directory")
		require.Contains(t, out, ro)
		require.Contains(t, out, "permission denied")
	})

	cfg.Data = t.TempDir()
	srv, err := service.New(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	setVersion(t, filepath.Join(cfg.Data, "forkscan.db"), 99)
	_, err = service.New(context.Background(), cfg)
	require.ErrorIs(t, err, service.ErrNewerData)

	_, err = service.New(context.Background(), service.Config{Data: t.TempDir()})
	require.ErrorContains(t, err, "no root")
}

// readOnlyData is a data directory as a server leaves it (scans/ made),
// then made read-only by its mode, in a directory any user may enter.
func readOnlyData(t *testing.T) string {
	t.Helper()
	dir := openDir(t)
	ro := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(filepath.Join(ro, "scans"), 0o755))
	require.NoError(t, os.Chmod(ro, 0o555))
	t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
	return ro
}

// openDir is a new directory any user may enter and read, removed when
// the test ends (t.TempDir's are the test user's alone).
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "forkscan-test-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// runAs runs a copy of this test binary (which TestMain turns into what
// env asks for) as user uid, and returns what it wrote and how it ended.
// A machine that does not let root take another user's id is a missing
// tool: skipped outside CI, a failure in it (see realtool).
func runAs(t *testing.T, uid uint32, env ...string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	bin := filepath.Join(openDir(t), "service.test") // the go build cache is root's alone
	require.NoError(t, copyFile(self, bin, 0o755))
	cmd := exec.Command(bin)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		if os.Getenv(realtool.Env) != "" {
			t.Fatalf("root may not run a process as user %d (%v), and %s says the real tools are there", uid, err, realtool.Env)
		}
		t.Skipf("skipped: root may not run a process as user %d here: %v", uid, err)
	}
	return string(out), err
}

// copyFile copies from to a new file to, of mode perm.
func copyFile(from, to string, perm os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}
