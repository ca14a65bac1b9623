package scan_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/worker/scan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCategories(t *testing.T) {
	cases := []struct {
		c         scan.Category
		name      string
		retryable bool
		severity  scan.Severity
	}{
		{scan.ToolNotFound, "TOOL_NOT_FOUND", false, scan.SeverityHigh},
		{scan.PermissionDenied, "PERMISSION_DENIED", false, scan.SeverityHigh},
		{scan.Timeout, "TIMEOUT", true, scan.SeverityMedium},
		{scan.NetworkError, "NETWORK_ERROR", true, scan.SeverityMedium},
		{scan.ResourceLimit, "RESOURCE_LIMIT", true, scan.SeverityHigh},
		{scan.InvalidInput, "INVALID_INPUT", false, scan.SeverityHigh},
		{scan.ToolError, "TOOL_ERROR", true, scan.SeverityMedium},
		{scan.ProcessCrash, "PROCESS_CRASH", true, scan.SeverityCritical},
	}
	require.Len(t, scan.Categories(), len(cases))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.name, c.c.String())
			require.Equal(t, c.retryable, c.c.Retryable())
			require.Equal(t, c.severity, c.c.Severity())
			require.NotEmpty(t, c.c.Remediation())
			parsed, ok := scan.ParseCategory(c.name)
			require.True(t, ok)
			require.Equal(t, c.c, parsed)
		})
	}
	require.False(t, scan.Category(0).Valid())
	require.False(t, scan.Category(99).Valid())
}

func TestErrorMatching(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("scanning: %w", scan.Errorf(scan.ResourceLimit, "reading: %w", cause))
	require.ErrorIs(t, err, scan.ResourceLimit)
	require.NotErrorIs(t, err, scan.Timeout)
	require.ErrorIs(t, err, cause)
	var e *scan.Error
	require.ErrorAs(t, err, &e)
	require.True(t, e.Retryable)
	require.Equal(t, "RESOURCE_LIMIT: reading: disk on fire", e.Error())
}

func TestAsErrorClassifies(t *testing.T) {
	_, notExist := os.Open("/nonexistent/forkscan")
	cases := []struct {
		name string
		err  error
		want scan.Category
	}{
		{"missing file", notExist, scan.InvalidInput},
		{"permission", &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, scan.PermissionDenied},
		{"deadline", context.DeadlineExceeded, scan.Timeout},
		{"too many files", &fs.PathError{Op: "open", Path: "x", Err: syscall.EMFILE}, scan.ResourceLimit},
		{"symlink loop", &fs.PathError{Op: "open", Path: "x", Err: syscall.ELOOP}, scan.InvalidInput},
		{"anything else", errors.New("boom"), scan.ToolError},
		{"already categorized", scan.Errorf(scan.NetworkError, "down"), scan.NetworkError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := scan.AsError(c.err)
			require.Equal(t, c.want, e.Category)
			require.Equal(t, c.want.Retryable(), e.Retryable)
		})
	}
	require.Nil(t, scan.AsError(nil))
}

func TestSkip(t *testing.T) {
	reason, ok := scan.IsSkip(fmt.Errorf("wrapped: %w", scan.Skip("generated file")))
	require.True(t, ok)
	require.Equal(t, "generated file", reason)
	_, ok = scan.IsSkip(errors.New("no"))
	require.False(t, ok)
}

func newNothing() (scan.Scanner, error) { return nil, nil }

func init() { scan.Register(scan.Def{Name: "scan-test-once", New: newNothing}) }

func TestRegisterMisuse(t *testing.T) {
	newScanner := newNothing
	cases := []struct {
		name string
		def  scan.Def
	}{
		{"no name", scan.Def{New: newScanner}},
		{"no New", scan.Def{Name: "scan-test-no-new"}},
		{"twice", scan.Def{Name: "scan-test-once", New: newScanner}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Panics(t, func() { scan.Register(c.def) })
		})
	}
	def, ok := scan.Lookup("scan-test-once")
	require.True(t, ok)
	require.Equal(t, "scan-test-once", def.Name)
	require.Contains(t, scan.Names(), "scan-test-once")
}
