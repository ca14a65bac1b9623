package ipc_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/record"
)

// An error crossing the process boundary keeps its category, message and
// retryability (invariant 6), through a real encode and decode.
func TestErrorsCrossTheWire(t *testing.T) {
	cases := []struct {
		name string
		in   *record.Error
		want *record.Error
	}{
		{"every category", nil, nil},
		{"retryable flag kept", &record.Error{Category: record.ToolError, Message: "panic", Retryable: false},
			&record.Error{Category: record.ToolError, Message: "panic", Retryable: false}},
		{"non-UTF-8 message", &record.Error{Category: record.InvalidInput, Message: "open bad-\xff.txt"},
			&record.Error{Category: record.InvalidInput, Message: "open bad-\uFFFD.txt"}},
		{"unknown category", &record.Error{Category: 42, Message: "from a newer worker", Retryable: true},
			&record.Error{Category: record.ToolError, Message: "from a newer worker (unknown category 42)", Retryable: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.in == nil {
				for _, cat := range record.Categories() {
					in := record.Errorf(cat, "failed")
					require.Equal(t, &record.Error{Category: cat, Message: "failed", Retryable: cat.Retryable()}, roundTrip(t, in))
				}
				return
			}
			require.Equal(t, c.want, roundTrip(t, c.in))
		})
	}
	require.Nil(t, ipc.ErrorToWire(nil))
	require.Nil(t, ipc.ErrorFromWire(nil))
}

func roundTrip(t *testing.T, e *record.Error) *record.Error {
	t.Helper()
	b, err := proto.Marshal(ipc.ErrorToWire(e))
	require.NoError(t, err)
	var got pb.Error
	require.NoError(t, proto.Unmarshal(b, &got))
	return ipc.ErrorFromWire(&got)
}
