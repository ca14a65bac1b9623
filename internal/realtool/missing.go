package realtool

import (
	"os"
	"testing"
)

// Missing is Need for what is not a command on PATH — a module in the
// module cache, a git work tree, a file a tool ships: it skips the test,
// saying what is missing and how to have it, or, where Env is set, fails
// it. It does not return.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv(Env) != "" {
		t.Fatalf("%s, and %s says the real tools are there (%s)", what, Env, how)
	}
	t.Skipf("skipped: %s (%s)", what, how)
}
