package ipc_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// An error crossing the process boundary keeps its category, message and
// retryability (invariant 6), through a real encode and decode.
func TestErrorsCrossTheWire(t *testing.T) {
	cases := []struct {
		name string
		in   *scan.Error
		want *scan.Error
	}{
		{"every category", nil, nil},
		{"retryable flag kept", &scan.Error{Category: scan.ToolError, Message: "panic", Retryable: false},
			&scan.Error{Category: scan.ToolError, Message: "panic", Retryable: false}},
		{"non-UTF-8 message", &scan.Error{Category: scan.InvalidInput, Message: "open bad-\xff.txt"},
			&scan.Error{Category: scan.InvalidInput, Message: "open bad-\uFFFD.txt"}},
		{"unknown category", &scan.Error{Category: 42, Message: "from a newer worker", Retryable: true},
			&scan.Error{Category: scan.ToolError, Message: "from a newer worker (unknown category 42)", Retryable: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.in == nil {
				for _, cat := range scan.Categories() {
					in := scan.Errorf(cat, "failed")
					require.Equal(t, &scan.Error{Category: cat, Message: "failed", Retryable: cat.Retryable()}, roundTrip(t, in))
				}
				return
			}
			require.Equal(t, c.want, roundTrip(t, c.in))
		})
	}
	require.Nil(t, ipc.ErrorToWire(nil))
	require.Nil(t, ipc.ErrorFromWire(nil))
}

func roundTrip(t *testing.T, e *scan.Error) *scan.Error {
	t.Helper()
	b, err := proto.Marshal(ipc.ErrorToWire(e))
	require.NoError(t, err)
	var got pb.Error
	require.NoError(t, proto.Unmarshal(b, &got))
	return ipc.ErrorFromWire(&got)
}
