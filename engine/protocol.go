package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// errProtocol is wrapped by what a worker did that no worker of this
// program does: garbage on its line, a result the run did not ask for or
// has already, a second Ready, a WorkerComplete with jobs unfinished, a
// semaphore request no scanner could have made. The parent does not guess
// what such a worker meant: it ends it, and its running jobs are charged
// as for a crash.
var errProtocol = errors.New("the worker broke the protocol")

func violation(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// expel ends a worker that broke the protocol: its receiver then finds its
// stream broken and settles its jobs (see lose), PROCESS_CRASH for the
// ones it was running, with err in their message.
func (r *Run) expel(p *proc, err error) {
	r.log.Warn("ending a worker that broke the protocol", "pid", p.pid, "error", err)
	p.kill(&kill{category: scan.ProcessCrash, message: fmt.Sprintf("worker (pid %d) was killed: %v", p.pid, err)})
	if p.killFn == nil {
		p.abort() // an in-process worker: its stream is cut
	}
}

// handle acts on one message of a worker's upstream. An error means the
// worker is to be lost: its stream broke the protocol.
func (r *Run) handle(p *proc, msg *pb.WorkResponse) error {
	switch m := msg.GetMsg().(type) {
	case *pb.WorkResponse_Results:
		return r.collect(p, m.Results)
	case *pb.WorkResponse_Metrics:
		p.mu.Lock()
		p.metrics = m.Metrics
		p.mu.Unlock()
		return nil
	case *pb.WorkResponse_WorkerComplete:
		return r.completed(p, m.WorkerComplete)
	case nil:
		return violation("an empty message")
	}
	return violation("%T after its start, on its stream", msg.GetMsg())
}

// completed takes a worker's WorkerComplete: it has no job left, and its
// stream is half-closed in answer. A worker that completes with jobs still
// in its window broke the protocol, unless the run was interrupted (it was
// told to stop, and its jobs stay unfinished).
func (r *Run) completed(p *proc, c *pb.WorkerComplete) error {
	p.mu.Lock()
	left := p.window.count()
	if left > 0 && r.ctx.Err() == nil {
		p.mu.Unlock()
		return violation("WorkerComplete with %d jobs not done", left)
	}
	if p.complete {
		p.mu.Unlock()
		return violation("WorkerComplete twice")
	}
	p.complete = true
	p.metrics = &pb.Metrics{JobsDone: c.GetJobsDone(), RssBytes: p.metrics.GetRssBytes()}
	p.mu.Unlock()
	if err := p.closeSend(); err != nil { // the worker ends the stream in answer
		r.log.Debug("half-closing a worker's stream", "pid", p.pid, "error", err)
	}
	return nil
}

// checkRequest refuses a semaphore request no scanner could have made
// (package scan checks these before anything is sent).
func checkRequest(req *pb.SemaphoreRequest, pending bool) error {
	switch {
	case req.GetRequestId() == 0 || pending:
		return violation("semaphore request id %d is zero or already waiting", req.GetRequestId())
	case req.GetName() == "" || len(req.GetName()) > maxSemName:
		return violation("a semaphore name of %d bytes", len(req.GetName()))
	case req.GetWeight() < 1 || req.GetCapacity() < 0:
		return violation("semaphore %q: weight %d, capacity %d", req.GetName(), req.GetWeight(), req.GetCapacity())
	}
	return nil
}

// maxSemName bounds a semaphore's name on the wire.
const maxSemName = 1 << 10

// lineEnded reports whether err from reading a worker's line means only
// that the line is gone (the worker ended, or the parent closed its end).
func lineEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EBADF)
}
