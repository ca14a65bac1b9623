package worker

import (
	"context"
	"sync"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// semClient carries scanners' semaphore calls over the worker's stream to
// the parent's registry: a request up, one grant (or refusal) down. Every
// request gets exactly one answer; a waiter that gives up withdraws its
// request, and if the grant crossed the withdrawal on the wire, the
// permits are released as soon as the grant arrives. Nothing is left held.
type semClient struct {
	s       *session
	mu      sync.Mutex
	next    uint64
	pending map[uint64]*semWait
}

type semWait struct {
	name      string
	weight    int64
	answer    chan error // buffered: the answer never waits for its reader
	withdrawn bool
}

func newSemClient(s *session) *semClient {
	return &semClient{s: s, pending: make(map[uint64]*semWait)}
}

// Acquire implements scan.Semaphores.
func (c *semClient) Acquire(ctx context.Context, name string, weight, capacity int64) error {
	w := &semWait{name: name, weight: weight, answer: make(chan error, 1)}
	c.mu.Lock()
	c.next++
	id := c.next
	c.pending[id] = w
	c.mu.Unlock()
	req := &pb.SemaphoreRequest{RequestId: id, Name: name, Weight: weight, Capacity: capacity}
	if err := c.s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRequest{SemaphoreRequest: req}}); err != nil {
		c.forget(id)
		return scan.Errorf(scan.ProcessCrash, "semaphore %q: the parent is unreachable: %w", name, err)
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
		_ = c.s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: withdraw}})
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
	if err := c.s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: rel}}); err != nil {
		return scan.Errorf(scan.ProcessCrash, "semaphore %q: the parent is unreachable: %w", name, err)
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
		e := g.GetError()
		w.answer <- &scan.Error{Category: scan.Category(e.GetCategory()), Message: e.GetMessage(), Retryable: e.GetRetryable()}
	default:
		w.answer <- nil
	}
}

func (c *semClient) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}
