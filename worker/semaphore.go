package worker

import (
	"context"
	"sync"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// semClient carries scanners' semaphore calls over the worker's line (see
// ipc.Line) to the parent's registry: a request up, one grant (or refusal)
// down. Every request gets exactly one answer; a waiter that gives up withdraws its
// request, and if the grant crossed the withdrawal on the wire, the
// permits are released as soon as the grant arrives. Nothing is left held.
type semClient struct {
	line    *ipc.Line // nil: no semaphores in this worker
	mu      sync.Mutex
	broken  error // set when the line is gone; later requests fail at once
	next    uint64
	pending map[uint64]*semWait
}

type semWait struct {
	name      string
	weight    int64
	answer    chan error // buffered: the answer never waits for its reader
	withdrawn bool
}

func newSemClient(line *ipc.Line) *semClient {
	return &semClient{line: line, pending: make(map[uint64]*semWait)}
}

// run reads grants from the line until it closes, then fails every waiter:
// no Acquire waits on a line that is gone.
func (c *semClient) run() {
	for {
		var m pb.WorkRequest
		if err := c.line.Read(&m); err != nil {
			c.fail(err)
			return
		}
		if g := m.GetSemaphoreGrant(); g != nil {
			c.answer(g)
		}
	}
}

func (c *semClient) fail(cause error) {
	err := scan.Errorf(scan.ProcessCrash, "semaphores: the line to the parent is gone: %v", cause)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broken = err
	for id, w := range c.pending {
		delete(c.pending, id)
		w.answer <- err
	}
}

func (c *semClient) send(m *pb.WorkResponse) error {
	if c.line == nil {
		return scan.Errorf(scan.ToolError, "semaphores: this worker has no line to the parent")
	}
	return c.line.Write(m)
}

// Acquire implements scan.Semaphores.
func (c *semClient) Acquire(ctx context.Context, name string, weight, capacity int64) error {
	w := &semWait{name: name, weight: weight, answer: make(chan error, 1)}
	c.mu.Lock()
	if c.broken != nil {
		c.mu.Unlock()
		return c.broken
	}
	c.next++
	id := c.next
	c.pending[id] = w
	c.mu.Unlock()
	req := &pb.SemaphoreRequest{RequestId: id, Name: name, Weight: weight, Capacity: capacity}
	if err := c.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRequest{SemaphoreRequest: req}}); err != nil {
		c.forget(id)
		return scan.AsError(err)
	}
	select {
	case err := <-w.answer:
		return err
	case <-ctx.Done():
	}
	c.mu.Lock()
	if _, waiting := c.pending[id]; waiting {
		w.withdrawn = true
		c.mu.Unlock()
		withdraw := &pb.SemaphoreRelease{RequestId: id}
		_ = c.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: withdraw}})
		return ctx.Err()
	}
	c.mu.Unlock()
	if err := <-w.answer; err == nil { // granted as we gave up: give it back
		_ = c.Release(name, weight)
	}
	return ctx.Err()
}

// Release implements scan.Semaphores.
func (c *semClient) Release(name string, weight int64) error {
	rel := &pb.SemaphoreRelease{Name: name, Weight: weight}
	if err := c.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: rel}}); err != nil {
		return scan.AsError(err)
	}
	return nil
}

// answer delivers a grant from the parent to its waiter.
func (c *semClient) answer(g *pb.SemaphoreGrant) {
	c.mu.Lock()
	w, ok := c.pending[g.GetRequestId()]
	delete(c.pending, g.GetRequestId())
	withdrawn := ok && w.withdrawn
	c.mu.Unlock()
	switch {
	case !ok:
	case withdrawn:
		if g.GetError() == nil { // granted after its waiter gave up
			_ = c.Release(w.name, w.weight)
		}
	case g.GetError() != nil:
		w.answer <- ipc.ErrorFromWire(g.GetError())
	default:
		w.answer <- nil
	}
}

func (c *semClient) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}
