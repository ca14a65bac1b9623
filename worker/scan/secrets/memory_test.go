package secrets

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/worker/scan"
)

// TestDetectorKeepsNoFindings: gitleaks' detector collects the findings of
// a whole run when driven as gitleaks drives it; driven here, file by
// file, it keeps none, so a worker's memory does not grow with them.
func TestDetectorKeepsNoFindings(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	token := "ghp_" + strings.Repeat("aB3dE5fG7h", 3) + "I9jK1l"
	found := 0
	for range 200 {
		rep, err := s.Scan(context.Background(), &scan.File{Path: "a.env", Data: []byte("t = \"" + token + "\"\n")})
		require.NoError(t, err)
		found += len(rep.Findings)
	}
	require.Equal(t, 200, found)
	require.Empty(t, s.detector.Findings())
}
