// Package standin puts stand-ins where the examples' scripts look for a
// command (forkscan, go): a shell script first in PATH that appends each
// call's arguments to a log, one a line, a blank line after each call, as
// strace notes system calls. The test runs the example's script with the
// stand-ins' environment, then asks the log what the script ran.
package standin

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dir is a directory whose bin/ holds stand-ins, and the log they append
// their calls to (STUB_LOG).
type Dir struct {
	Root string // bin/ and the log are in it
	Log  string
}

// New makes a Dir in a temporary directory of t, with script in bin/
// under each of names.
func New(t testing.TB, script string, names ...string) Dir {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "bin"), 0o755))
	for _, name := range names {
		require.NoError(t, os.WriteFile(filepath.Join(root, "bin", name), []byte(script), 0o755))
	}
	return Dir{Root: root, Log: filepath.Join(root, "calls")}
}

// Env is the whole environment of a command that is to meet the
// stand-ins: bin/ first in PATH (then the test's PATH), HOME at home,
// STUB_LOG, then env (NAME=value).
func (d Dir) Env(home string, env ...string) []string {
	return append([]string{"PATH=" + filepath.Join(d.Root, "bin") + ":" + os.Getenv("PATH"),
		"HOME=" + home, "STUB_LOG=" + d.Log}, env...)
}

// Calls returns the arguments of each call the log holds, and removes
// it, so the next run's calls are its own; none if there is no log.
func (d Dir) Calls(t testing.TB) [][]string {
	t.Helper()
	data, err := os.ReadFile(d.Log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	require.NoError(t, os.Remove(d.Log))
	var calls [][]string
	for call := range strings.SplitSeq(strings.TrimSuffix(string(data), "\n\n"), "\n\n") {
		calls = append(calls, strings.Split(call, "\n"))
	}
	return calls
}

// Flag returns the value that follows name in args.
func Flag(t testing.TB, args []string, name string) string {
	t.Helper()
	i := slices.Index(args, name)
	require.True(t, i >= 0 && i+1 < len(args), "%q has no %s", args, name)
	return args[i+1]
}
