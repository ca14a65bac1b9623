// Package realtool finds, for tests, the real external tools they run
// (bandit, shellcheck, chromium, git): where one is missing the test is
// skipped, saying how to install it, unless FORKSCAN_REAL_TOOLS is set
// (.ci/run sets it after installing them), and then it fails. It is
// testing.Short's counterpart for tools: the suite passes on a bare
// machine, and CI, which has them, cannot skip them by accident.
package realtool

import (
	"os"
	"os/exec"
	"testing"
)

// Env is the variable that makes a missing tool a failure.
const Env = "FORKSCAN_REAL_TOOLS"

// Need returns the path of the first of names installed; if none is, it
// skips the test (or, where Env is set, fails it).
func Need(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv(Env) != "" {
		t.Fatalf("%s is not installed, and %s says the real tools are (apt-get install %s)", names[0], Env, names[0])
	}
	t.Skipf("skipped: %s is not installed (apt-get install %s)", names[0], names[0])
	return ""
}
