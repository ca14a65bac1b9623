package engine

import (
	"errors"
	"time"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

// acquireFor serves a worker's semaphore request: it asks the run's
// registry on the worker's behalf (the worker is the holder), and the
// answer, a grant or a refusal, goes back on the worker's line from
// whichever goroutine settles the request. Free permits are granted at once
// by the line's reader; a request that must wait is granted by the reader
// of the line whose release frees the permits, so a permit crosses from
// one worker to the next with no goroutine hand-off in the parent
// (BenchmarkSemaphore, contended). The request is recorded until then, so
// the worker can withdraw it.
func (r *Run) acquireFor(p *proc, req *pb.SemaphoreRequest) error {
	id := req.GetRequestId()
	p.mu.Lock()
	_, pending := p.waiting[id]
	p.mu.Unlock()
	if err := checkRequest(req, pending); err != nil {
		return err
	}
	w := r.sems.Request(p.holder, req.GetName(), req.GetWeight(), req.GetCapacity(), func(err error) {
		p.mu.Lock()
		delete(p.waiting, id)
		p.mu.Unlock()
		r.grant(p, id, err)
	})
	p.mu.Lock()
	if w.Pending() { // checked under p.mu: an answer after this deletes what we record
		p.waiting[id] = w
	}
	p.mu.Unlock()
	return nil
}

// serveLine reads a worker's semaphore line until it closes (the worker
// ended, or p.end closed our end), or the worker sends what no worker
// would: it is then ended.
func (r *Run) serveLine(p *proc) {
	for {
		var m pb.WorkResponse
		err := p.line.Read(&m)
		if err != nil && lineEnded(err) {
			return
		}
		p.heard.Store(time.Now().UnixNano())
		if err == nil {
			err = r.semaphoreMessage(p, &m)
		} else {
			err = violation("garbage on its semaphore line: %v", err)
		}
		if err != nil {
			r.expel(p, err)
			return
		}
	}
}

// semaphoreMessage acts on one message of a worker's semaphore line.
func (r *Run) semaphoreMessage(p *proc, m *pb.WorkResponse) error {
	switch x := m.GetMsg().(type) {
	case *pb.WorkResponse_SemaphoreRequest:
		return r.acquireFor(p, x.SemaphoreRequest)
	case *pb.WorkResponse_SemaphoreRelease:
		return r.released(p, x.SemaphoreRelease)
	}
	return violation("%T on its semaphore line", m.GetMsg())
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
func (r *Run) released(p *proc, rel *pb.SemaphoreRelease) error {
	if id := rel.GetRequestId(); id != 0 {
		p.mu.Lock()
		w := p.waiting[id]
		p.mu.Unlock()
		if w != nil {
			w.Withdraw()
		}
		return nil // one already answered: the answer and the withdrawal crossed
	}
	err := r.sems.Release(p.holder, rel.GetName(), rel.GetWeight())
	switch {
	case errors.Is(err, semregistry.ErrHolderGone):
		return nil // a release that crossed the worker's end: ReleaseAll took care of it
	case err != nil:
		return violation("it released permits it does not hold: %v", err)
	}
	return nil
}

// semError puts a registry error on the wire: the registry's refusals are
// the request's fault (INVALID_INPUT); a wait that ended is not.
func semError(err error) *pb.Error {
	if err == nil {
		return nil
	}
	c := scan.InvalidInput
	if errors.Is(err, semregistry.ErrWithdrawn) || errors.Is(err, semregistry.ErrHolderGone) {
		c = scan.ToolError
	}
	return ipc.ErrorToWire(&scan.Error{Category: c, Message: err.Error()})
}
