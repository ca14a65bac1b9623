package workerproc

import (
	"context"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// fakeParent is the parent's end of a semaphore line, driven by a test.
type fakeParent struct {
	t    *testing.T
	line *semline.Line
}

// newClient returns a client on a line whose other end the test plays. A
// line made by semline.Pair is not local: waiters read it in poll(2), as in a
// worker process.
func newClient(t *testing.T, local bool) (*semClient, *fakeParent) {
	t.Helper()
	var ours, theirs *semline.Line
	if local {
		var err error
		ours, theirs, err = semline.LocalPair()
		require.NoError(t, err)
	} else {
		l, f, err := semline.Pair()
		require.NoError(t, err)
		ours = l
		fd, err := syscall.Dup(int(f.Fd())) // f's finalizer would close its own
		require.NoError(t, err)
		require.NoError(t, f.Close())
		theirs, err = semline.New(uintptr(fd))
		require.NoError(t, err)
	}
	c, err := newSemClient(theirs)
	require.NoError(t, err)
	t.Cleanup(func() { c.close(); _ = ours.Close() })
	return c, &fakeParent{t: t, line: ours}
}

// next reads the next message from the worker.
func (p *fakeParent) next() *pb.WorkResponse {
	var m pb.WorkResponse
	require.NoError(p.t, p.line.Read(&m))
	return &m
}

func (p *fakeParent) answer(id uint64, refusal *pb.Error) {
	g := &pb.SemaphoreGrant{RequestId: id, Error: refusal}
	require.NoError(p.t, p.line.Write(&pb.WorkRequest{Msg: &pb.WorkRequest_SemaphoreGrant{SemaphoreGrant: g}}))
}

func TestSemClientAnswers(t *testing.T) {
	for _, local := range []bool{false, true} {
		name := map[bool]string{false: "poll", true: "local"}[local]
		t.Run(name+"/granted and refused", func(t *testing.T) {
			c, p := newClient(t, local)
			errc := make(chan error, 1)
			go func() { errc <- c.Acquire(context.Background(), "db", 1, 1) }()
			p.answer(p.next().GetSemaphoreRequest().GetRequestId(), nil)
			require.NoError(t, testwait.Chan(t, 10*time.Second, "Acquire to return", errc))
			go func() { errc <- c.Acquire(context.Background(), "db", 9, 1) }()
			p.answer(p.next().GetSemaphoreRequest().GetRequestId(), ipc.ErrorToWire(scan.Errorf(scan.InvalidInput, "too heavy")))
			require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "Acquire to return", errc), scan.InvalidInput)
		})
		t.Run(name+"/cancelled wait, refused", func(t *testing.T) {
			c, p := newClient(t, local)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- c.Acquire(ctx, "db", 1, 1) }()
			id := p.next().GetSemaphoreRequest().GetRequestId()
			cancel()
			require.Equal(t, id, p.next().GetSemaphoreRelease().GetRequestId(), "the wait is withdrawn")
			p.answer(id, ipc.ErrorToWire(scan.Errorf(scan.ToolError, "withdrawn")))
			require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "Acquire to return", errc), context.Canceled)
		})
		t.Run(name+"/cancelled wait, granted on the way", func(t *testing.T) {
			c, p := newClient(t, local)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- c.Acquire(ctx, "db", 2, 4) }()
			id := p.next().GetSemaphoreRequest().GetRequestId()
			cancel()
			require.Equal(t, id, p.next().GetSemaphoreRelease().GetRequestId())
			p.answer(id, nil) // the grant crossed the withdrawal
			rel := p.next().GetSemaphoreRelease()
			require.Equal(t, "db", rel.GetName(), "the permits are given back")
			require.Equal(t, int64(2), rel.GetWeight())
			require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "Acquire to return", errc), context.Canceled)
		})
		t.Run(name+"/line gone", func(t *testing.T) {
			c, p := newClient(t, local)
			errc := make(chan error, 1)
			go func() { errc <- c.Acquire(context.Background(), "db", 1, 1) }()
			p.next()
			require.NoError(t, p.line.Close())
			require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "Acquire to return", errc), scan.ProcessCrash)
			require.ErrorIs(t, c.Acquire(context.Background(), "db", 1, 1), scan.ProcessCrash, "and every later request")
		})
	}
}

// TestSemClientManyWaiters: waiters of one worker are answered in any
// order, each its own answer; the lead passes from one to the next.
func TestSemClientManyWaiters(t *testing.T) {
	for _, local := range []bool{false, true} {
		c, p := newClient(t, local)
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() { errs <- c.Acquire(context.Background(), "db", 1, n) })
		}
		var ids []uint64
		for range n {
			ids = append(ids, p.next().GetSemaphoreRequest().GetRequestId())
		}
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		for i, id := range ids {
			if i%2 == 1 {
				time.Sleep(time.Millisecond) // some while the lead waits in poll
			}
			p.answer(id, nil)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		c.mu.Lock()
		require.Empty(t, c.pending)
		c.mu.Unlock()
	}
}

// TestSemClientWaiterGivesUpBehindTheLeader: of two waiters, the one that
// gives up may be the one reading the line or the other; either way its
// request is withdrawn and both end.
func TestSemClientWaiterGivesUpBehindTheLeader(t *testing.T) {
	for _, local := range []bool{false, true} {
		c, p := newClient(t, local)
		ctx, cancel := context.WithCancel(context.Background())
		first, second := make(chan error, 1), make(chan error, 1)
		go func() { first <- c.Acquire(context.Background(), "db", 1, 1) }()
		a := p.next().GetSemaphoreRequest().GetRequestId()
		go func() { second <- c.Acquire(ctx, "db", 1, 1) }()
		b := p.next().GetSemaphoreRequest().GetRequestId()
		cancel()
		require.Equal(t, b, p.next().GetSemaphoreRelease().GetRequestId())
		p.answer(b, ipc.ErrorToWire(scan.Errorf(scan.ToolError, "withdrawn")))
		require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "the second Acquire to return", second), context.Canceled)
		p.answer(a, nil)
		require.NoError(t, testwait.Chan(t, 10*time.Second, "the first Acquire to return", first))
	}
}

func TestSemClientWithoutLine(t *testing.T) {
	c, err := newSemClient(nil)
	require.NoError(t, err)
	require.ErrorIs(t, c.Acquire(context.Background(), "db", 1, 1), scan.ToolError)
	require.ErrorIs(t, c.Release("db", 1), scan.ToolError)
	c.close()
}
