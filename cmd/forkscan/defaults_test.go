package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The defaults the engine takes from engine.DefaultConfig are the ones
// the help text shows and the README's table of flags says.
func TestREADMEDefaults(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rows := map[string]string{} // flag → its default cell
	row := regexp.MustCompile("^\\| `(?:-\\w, )?--([a-z-]+)[^|]*\\| ([^|]*) \\|")
	for _, line := range strings.Split(string(readme), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows[m[1]] = strings.Trim(m[2], "`")
		}
	}
	fl := scanCommand(new(int), nil).Flags()
	for _, name := range []string{"tasks", "retries", "backoff", "retry-delay", "timeout", "watchdog", "start-timeout", "grace",
		"max-archive-depth", "max-archive-size", "max-archive-members", "max-archive-ratio"} {
		t.Run(name, func(t *testing.T) {
			flag := fl.Lookup(name)
			require.NotNil(t, flag)
			require.Contains(t, rows, name, "the README's table has no row for --%s", name)
			require.Equal(t, flag.DefValue, rows[name], "--%s: the README says %q, engine.DefaultConfig %q", name, rows[name], flag.DefValue)
		})
	}
}
