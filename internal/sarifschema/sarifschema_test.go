package sarifschema_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/sarifschema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestValidate(t *testing.T) {
	log := `{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}`
	require.NoError(t, sarifschema.Validate([]byte(log)))
	require.Error(t, sarifschema.Validate([]byte(`{"version":"2.0","runs":[]}`)), "the check can fail")
	require.Error(t, sarifschema.Validate([]byte(`{"version":`)))
}
