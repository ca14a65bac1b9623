// Package standin reads back what a stand-in was called with: the tests of
// the examples put a shell script first in PATH in place of a command
// (forkscan, go), which appends each call's arguments to a log, one a
// line, a blank line after each call, as strace notes system calls. The
// test runs the example's script, then asks the log what the script ran.
package standin

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Calls returns the arguments of each call the log at path holds, and
// removes it, so the next run's calls are its own; none if there is no
// log.
func Calls(t testing.TB, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
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
