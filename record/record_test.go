package record_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/record"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCategories(t *testing.T) {
	cases := []struct {
		c         record.Category
		name      string
		retryable bool
		severity  record.Severity
	}{
		{record.ToolNotFound, "TOOL_NOT_FOUND", false, record.SeverityHigh},
		{record.PermissionDenied, "PERMISSION_DENIED", false, record.SeverityHigh},
		{record.Timeout, "TIMEOUT", true, record.SeverityMedium},
		{record.NetworkError, "NETWORK_ERROR", true, record.SeverityMedium},
		{record.ResourceLimit, "RESOURCE_LIMIT", true, record.SeverityHigh},
		{record.InvalidInput, "INVALID_INPUT", false, record.SeverityHigh},
		{record.ToolError, "TOOL_ERROR", true, record.SeverityMedium},
		{record.ProcessCrash, "PROCESS_CRASH", true, record.SeverityCritical},
	}
	require.Len(t, record.Categories(), len(cases))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.name, c.c.String())
			require.Equal(t, c.retryable, c.c.Retryable())
			require.Equal(t, c.severity, c.c.Severity())
			require.NotEmpty(t, c.c.Remediation())
			parsed, ok := record.ParseCategory(c.name)
			require.True(t, ok)
			require.Equal(t, c.c, parsed)
		})
	}
	require.False(t, record.Category(0).Valid())
	require.False(t, record.Category(99).Valid())
}

func TestErrorMatching(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("scanning: %w", record.Errorf(record.ResourceLimit, "reading: %w", cause))
	require.ErrorIs(t, err, record.ResourceLimit)
	require.NotErrorIs(t, err, record.Timeout)
	require.ErrorIs(t, err, cause)
	var e *record.Error
	require.ErrorAs(t, err, &e)
	require.True(t, e.Retryable)
	require.Equal(t, "RESOURCE_LIMIT: reading: disk on fire", e.Error())
}

func TestAsErrorClassifies(t *testing.T) {
	_, notExist := os.Open("/nonexistent/forkscan")
	cases := []struct {
		name string
		err  error
		want record.Category
	}{
		{"missing file", notExist, record.InvalidInput},
		{"permission", &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, record.PermissionDenied},
		{"deadline", context.DeadlineExceeded, record.Timeout},
		{"too many files", &fs.PathError{Op: "open", Path: "x", Err: syscall.EMFILE}, record.ResourceLimit},
		{"symlink loop", &fs.PathError{Op: "open", Path: "x", Err: syscall.ELOOP}, record.InvalidInput},
		{"anything else", errors.New("boom"), record.ToolError},
		{"already categorized", record.Errorf(record.NetworkError, "down"), record.NetworkError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := record.AsError(c.err)
			require.Equal(t, c.want, e.Category)
			require.Equal(t, c.want.Retryable(), e.Retryable)
		})
	}
	require.Nil(t, record.AsError(nil))
}

// A record survives its JSON line: the exact bytes of a path that is not
// UTF-8, the error with its category, the hash, findings as [] not null.
func TestRecordJSONRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		rec  record.Record
		has  []string
	}{
		{"ok", record.Record{Root: "/r", Path: "a/b.go", Scanner: "secrets", Status: record.StatusOK,
			Findings: []record.Finding{{Rule: "k", Line: 3, Severity: record.SeverityHigh}}, SHA256: []byte{1, 2}, Attempts: 1},
			[]string{`"status":"ok"`, `"sha256":"0102"`, `"severity":"high"`}},
		{"error", record.Record{Root: "/r", Path: "x", Scanner: "s", Status: record.StatusError,
			Error: record.Errorf(record.Timeout, "slow")},
			[]string{`"findings":[]`, `"category":"TIMEOUT"`, `"retryable":true`, `"remediation":"increase the timeout`}},
		{"not UTF-8", record.Record{Root: "/r", Path: "bad\xff.txt", Scanner: "s", Status: record.StatusSkipped, Reason: "binary"},
			[]string{`"path":"bad�.txt"`, `"path_base64":"YmFk/y50eHQ="`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.rec)
			require.NoError(t, err)
			for _, h := range c.has {
				require.Contains(t, string(b), h)
			}
			var back record.Record
			require.NoError(t, json.Unmarshal(b, &back))
			if c.rec.Error != nil {
				require.Equal(t, c.rec.Error.Category, back.Error.Category)
				require.Equal(t, c.rec.Error.Message, back.Error.Message)
				back.Error, c.rec.Error = nil, nil
			}
			if back.Findings != nil && len(back.Findings) == 0 {
				back.Findings = nil
			}
			require.Equal(t, c.rec, back)
		})
	}
}

func TestNotARecord(t *testing.T) {
	for _, text := range []string{`{}`, `{"path":"a","scanner":"s"}`, `{"path":"a","status":"ok"}`,
		`{"path_base64":"!!","scanner":"s","status":"ok"}`, `{"path":"a","scanner":"s","status":"ok","sha256":"zz"}`} {
		var r record.Record
		require.ErrorIs(t, json.Unmarshal([]byte(text), &r), record.ErrNotRecord, text)
	}
	var r record.Record
	require.Error(t, json.Unmarshal([]byte(`{"path":"a","scanner":"s","status":"done"}`), &r))
}

func TestJoin(t *testing.T) {
	cases := []struct{ root, path, want string }{
		{"", "a.txt", "a.txt"}, {"/r", "a/b", "/r/a/b"}, {"/", "etc", "/etc"}, {"/r", "./a", "/r/./a"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, record.Join(c.root, c.path))
	}
}
