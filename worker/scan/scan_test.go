package scan_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/worker/scan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
		{"batch with content", scan.Def{Name: "scan-test-batch", New: newScanner, Batch: 8, Content: true}},
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
