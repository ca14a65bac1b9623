package engine

import (
	"context"
	"errors"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

// acquireFor serves a worker's semaphore request: it waits in the run's
// registry on the worker's behalf (the worker is the holder), then answers
// with a grant or a refusal. The wait ends early if the worker withdraws
// the request or is lost; either way the request gets its one answer.
//
// Free permits are granted at once from the line's reader; only a request
// that must wait gets a goroutine of its own. That saves a goroutine
// hand-off on the round trip (BenchmarkSemaphore).
func (r *Run) acquireFor(p *proc, req *pb.SemaphoreRequest) {
	ok, err := r.sems.TryAcquire(p.holder, req.GetName(), req.GetWeight(), req.GetCapacity())
	if ok || err != nil {
		r.grant(p, req.GetRequestId(), err)
		return
	}
	ctx, cancel := context.WithCancel(p.ended) // a wait never outlives its worker
	p.mu.Lock()
	p.waiting[req.GetRequestId()] = cancel
	p.mu.Unlock()
	r.spawn(func() {
		err := r.sems.Acquire(ctx, p.holder, req.GetName(), req.GetWeight(), req.GetCapacity())
		p.mu.Lock()
		delete(p.waiting, req.GetRequestId())
		p.mu.Unlock()
		cancel()
		r.grant(p, req.GetRequestId(), err)
	})
}

// serveLine reads a worker's semaphore line until it closes (the worker
// ended, or p.end closed our end).
func (r *Run) serveLine(p *proc) {
	for {
		var m pb.WorkResponse
		if err := p.line.Read(&m); err != nil {
			return
		}
		switch x := m.GetMsg().(type) {
		case *pb.WorkResponse_SemaphoreRequest:
			r.acquireFor(p, x.SemaphoreRequest)
		case *pb.WorkResponse_SemaphoreRelease:
			r.released(p, x.SemaphoreRelease)
		}
	}
}

// grant answers request id: granted if err is nil, refused otherwise.
func (r *Run) grant(p *proc, id uint64, err error) {
	grant := &pb.SemaphoreGrant{RequestId: id, Error: semError(err)}
	if err := p.line.Write(&pb.WorkRequest{Msg: &pb.WorkRequest_SemaphoreGrant{SemaphoreGrant: grant}}); err != nil {
		r.log.Debug("answering a semaphore request", "pid", p.pid, "error", err)
	}
}

// released handles a worker's release of permits, or its withdrawal of a
// request still waiting.
func (r *Run) released(p *proc, rel *pb.SemaphoreRelease) {
	if id := rel.GetRequestId(); id != 0 {
		p.mu.Lock()
		cancel := p.waiting[id]
		p.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return
	}
	err := r.sems.Release(p.holder, rel.GetName(), rel.GetWeight())
	switch {
	case errors.Is(err, semregistry.ErrHolderGone):
		// a release that crossed the worker's end: ReleaseAll took care of it
	case err != nil:
		r.log.Warn("a worker released permits it does not hold", "pid", p.pid, "error", err)
	}
}

// semError puts a registry error on the wire: the registry's refusals are
// the request's fault (INVALID_INPUT); a wait that ended is not.
func semError(err error) *pb.Error {
	if err == nil {
		return nil
	}
	c := scan.InvalidInput
	if errors.Is(err, context.Canceled) || errors.Is(err, semregistry.ErrHolderGone) {
		c = scan.ToolError
	}
	return ipc.ErrorToWire(&scan.Error{Category: c, Message: err.Error()})
}
