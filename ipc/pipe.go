package ipc

import (
	"context"
	"io"
	"sync"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// pipeDepth is how many messages each direction of a Pipe buffers. Messages
// are batches, so a small depth suffices; it is what a socket's buffer is
// to a gRPC stream.
const pipeDepth = 16

// Pipe returns the two ends of an in-memory stream, for running a worker as
// goroutines in the parent's process. Messages are passed by pointer without
// encoding: a sender must not touch a message after sending it.
//
// The worker end's Close ends the stream upward (the parent's Recv then
// returns io.EOF once it has read what was sent). Cancelling ctx unblocks
// both ends with ctx's error.
func Pipe(ctx context.Context) (ParentStream, *PipeWorker) {
	p := &pipe{ctx: ctx, down: make(chan *pb.WorkRequest, pipeDepth), up: make(chan *pb.WorkResponse, pipeDepth)}
	return parentEnd{p}, &PipeWorker{p}
}

type pipe struct {
	ctx       context.Context
	down      chan *pb.WorkRequest
	up        chan *pb.WorkResponse
	closeDown sync.Once
	closeUp   sync.Once
}

type parentEnd struct{ p *pipe }

func (e parentEnd) Send(m *pb.WorkRequest) error { return send(e.p.ctx, e.p.down, m) }

func (e parentEnd) Recv() (*pb.WorkResponse, error) { return recv(e.p.ctx, e.p.up) }

func (e parentEnd) CloseSend() error {
	e.p.closeDown.Do(func() { close(e.p.down) })
	return nil
}

// PipeWorker is the worker's end of a Pipe, as Pipe returns it; the zero
// value is not usable.
type PipeWorker struct{ p *pipe }

// Send sends a response up.
func (e *PipeWorker) Send(m *pb.WorkResponse) error { return send(e.p.ctx, e.p.up, m) }

// Recv receives the next request; io.EOF after the parent's CloseSend.
func (e *PipeWorker) Recv() (*pb.WorkRequest, error) { return recv(e.p.ctx, e.p.down) }

// Close ends the stream upward, as a gRPC handler's return does.
func (e *PipeWorker) Close() { e.p.closeUp.Do(func() { close(e.p.up) }) }

func send[T any](ctx context.Context, ch chan<- T, m T) error {
	select {
	case ch <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func recv[T any](ctx context.Context, ch <-chan T) (T, error) {
	select {
	case m, ok := <-ch:
		if !ok {
			var zero T
			return zero, io.EOF
		}
		return m, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
