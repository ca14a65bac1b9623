package realtool

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ended records how a test would have ended: by the first of Fatalf or
// Skipf (each ends a real test; here the call returns).
type ended struct {
	testing.TB
	how, msg string
}

func (e *ended) Helper()                           {}
func (e *ended) Fatalf(format string, args ...any) { e.end("failed", format, args...) }
func (e *ended) Skipf(format string, args ...any)  { e.end("skipped", format, args...) }
func (e *ended) end(how, format string, args ...any) {
	if e.how == "" {
		e.how, e.msg = how, fmt.Sprintf(format, args...)
	}
}

// A missing tool or thing skips the test outside CI and fails it where
// FORKSCAN_REAL_TOOLS says the real tools are installed.
func TestMissingFailsWhereRealToolsAreSaid(t *testing.T) {
	for _, tc := range []struct{ env, want string }{{"", "skipped"}, {"1", "failed"}} {
		t.Setenv(Env, tc.env)
		e := &ended{TB: t}
		Missing(e, "no gitleaks module", "go mod download")
		if e.how != tc.want {
			t.Errorf("%s=%q: Missing %s the test (%q), want %s", Env, tc.env, e.how, e.msg, tc.want)
		}
		e = &ended{TB: t}
		Need(e, "surely-no-such-tool-on-path")
		if e.how != tc.want {
			t.Errorf("%s=%q: Need of a missing tool %s the test (%q), want %s", Env, tc.env, e.how, e.msg, tc.want)
		}
	}
}
