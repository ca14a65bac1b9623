package ipc_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGather(t *testing.T) {
	cases := []struct {
		name   string
		queued []int
		closed bool
		max    int
		want   []int
		ok     bool
	}{
		{"one ready goes alone", []int{1}, false, 8, []int{1}, true},
		{"all ready share a batch", []int{1, 2, 3}, false, 8, []int{1, 2, 3}, true},
		{"capped at max", []int{1, 2, 3, 4}, false, 2, []int{1, 2}, true},
		{"closed and empty", nil, true, 8, nil, false},
		{"closed after some", []int{1, 2}, true, 8, []int{1, 2}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := make(chan int, 8)
			for _, v := range c.queued {
				ch <- v
			}
			if c.closed {
				close(ch)
			}
			got, ok := ipc.Gather(nil, ch, nil, c.max)
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.want, got)
		})
	}
}

func TestGatherStopsWhenDone(t *testing.T) {
	done := make(chan struct{})
	close(done)
	got, ok := ipc.Gather(done, make(chan int), nil, 4)
	require.False(t, ok)
	require.Empty(t, got)
}

func TestCredits(t *testing.T) {
	c := ipc.NewCredits(3)
	require.Equal(t, 2, c.Take(nil, 2))
	require.Equal(t, 1, c.Take(nil, 5), "takes only what is free")
	require.Equal(t, 0, c.Free())

	got := make(chan int)
	go func() { got <- c.Take(nil, 5) }()
	select {
	case <-got:
		t.Fatal("Take returned with no credit free")
	case <-time.After(20 * time.Millisecond):
	}
	c.Return(2)
	require.Equal(t, 2, <-got)

	done := make(chan struct{})
	close(done)
	require.Equal(t, 0, c.Take(done, 1), "a closed done ends the wait")
}

func TestCreditsResize(t *testing.T) {
	c := ipc.NewCredits(4)
	require.Equal(t, 4, c.Take(nil, 4))
	c.Resize(2) // two over the new window are out
	c.Return(3)
	require.Equal(t, 1, c.Free(), "a shrunk window frees only what comes back beyond it")
	c.Resize(5)
	require.Equal(t, 4, c.Free(), "a grown window frees the difference at once")
	require.Equal(t, 4, c.Take(nil, 10))
}

func TestPipe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parent, w := ipc.Pipe(ctx)
	require.NoError(t, parent.Send(&pb.WorkRequest{Msg: &pb.WorkRequest_Shutdown{}}))
	req, err := w.Recv()
	require.NoError(t, err)
	require.NotNil(t, req)
	require.NoError(t, parent.CloseSend())
	_, err = w.Recv()
	require.ErrorIs(t, err, io.EOF)

	require.NoError(t, w.Send(&pb.WorkResponse{}))
	w.Close()
	_, err = parent.Recv()
	require.NoError(t, err, "what was sent before Close is still read")
	_, err = parent.Recv()
	require.ErrorIs(t, err, io.EOF)

	p2, _ := ipc.Pipe(ctx)
	cancel()
	_, err = p2.Recv()
	require.ErrorIs(t, err, context.Canceled)
}
