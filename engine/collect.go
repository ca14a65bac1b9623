package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

// receive reads one worker's upstream until it ends, then ends the worker.
// A stream that ends before WorkerComplete means the worker was lost.
func (r *Run) receive(p *proc) {
	defer r.sems.ReleaseAll(p.holder) // after the end: nothing it held outlives it
	defer p.end()
	stopTimer := r.killAfterGrace(p)
	defer stopTimer()
	for {
		msg, err := p.stream.Recv()
		if err != nil {
			p.mu.Lock()
			complete := p.complete
			p.mu.Unlock()
			if !complete { // after WorkerComplete, however the stream ends, nothing is lost
				r.lose(p, err)
			}
			return
		}
		switch m := msg.GetMsg().(type) {
		case *pb.WorkResponse_Results:
			if err := r.collect(p, m.Results); err != nil {
				r.lose(p, err)
				return
			}
		case *pb.WorkResponse_Metrics:
			p.mu.Lock()
			p.metrics = m.Metrics
			p.mu.Unlock()
		case *pb.WorkResponse_WorkerComplete:
			p.mu.Lock()
			p.complete = true
			p.metrics = &pb.Metrics{JobsDone: m.WorkerComplete.GetJobsDone(), RssBytes: p.metrics.GetRssBytes()}
			p.mu.Unlock()
			if err := p.closeSend(); err != nil { // the worker ends the stream in answer
				r.log.Debug("half-closing a worker's stream", "pid", p.pid, "error", err)
			}
		}
	}
}

// killAfterGrace ends p if the run is interrupted and p has not finished
// Config.Grace later. It returns a function that cancels the watch.
func (r *Run) killAfterGrace(p *proc) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-r.ctx.Done():
		case <-done:
			return
		}
		t := time.NewTimer(r.cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			r.log.Debug("worker did not stop within the grace period; ending it", "pid", p.pid)
			p.end()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// collect turns a batch of results into Results, settles the jobs they
// complete (returning their credit), and delivers the batch. A batch that
// does not decode is a broken worker.
func (r *Run) collect(p *proc, batch *pb.Results) error {
	out := r.batches.get(len(batch.GetJobIds()))
	finished := 0
	p.mu.Lock()
	err := ipc.EachResult(batch, func(res ipc.Result) {
		jb := p.window.get(res.JobID)
		bit := uint64(1) << res.Scanner
		if jb == nil || int(res.Scanner) >= len(r.cfg.Scanners) || jb.want&bit == 0 || jb.done&bit != 0 {
			r.log.Warn("dropping a result the run did not ask for", "job", res.JobID, "scanner", res.Scanner, "pid", p.pid)
			return
		}
		jb.done |= bit
		if jb.done == jb.want {
			p.window.remove(res.JobID)
			finished++
		}
		out = append(out, r.convert(res, jb, p.pid))
	})
	p.mu.Unlock()
	p.credits.Return(finished)
	r.deliver(out)
	r.settle(finished)
	return err
}

func (r *Run) convert(res ipc.Result, jb *job, pid int) Result {
	out := Result{Path: jb.path, Meta: jb.meta, Scanner: r.cfg.Scanners[res.Scanner], Attempts: jb.attempts, WorkerPID: pid}
	d := res.Detail
	switch res.Status {
	case pb.Status_STATUS_OK:
		out.Status = StatusOK
		if len(d.GetData()) > 0 {
			out.Data = json.RawMessage(d.GetData())
		}
		out.Findings = findings(d.GetFindings())
	case pb.Status_STATUS_SKIPPED:
		out.Status = StatusSkipped
		out.Reason = d.GetSkipReason()
	default:
		out.Status = StatusError
		if out.Err = ipc.ErrorFromWire(d.GetError()); out.Err == nil {
			out.Err = ipc.ErrorFromWire(&pb.Error{}) // an error status without its detail
		}
	}
	return out
}

func findings(in []*pb.Finding) []scan.Finding {
	if len(in) == 0 {
		return nil
	}
	out := make([]scan.Finding, len(in))
	for i, f := range in {
		out[i] = scan.Finding{Rule: f.GetRule(), Message: f.GetMessage(), Line: int(f.GetLine()),
			Column: int(f.GetColumn()), Severity: f.GetSeverity(), Match: f.GetMatch()}
	}
	return out
}

// deliver hands a batch to the Results reader; dropped once the reader is
// gone (the run is then interrupted).
func (r *Run) deliver(out []Result) {
	if len(out) == 0 {
		r.batches.put(out)
		return
	}
	r.stats.count(out)
	r.out <- out
}

// lose settles a worker that died or broke its stream: the scanners not yet
// done on every job in its window get a PROCESS_CRASH record. When the last
// worker is lost, the jobs still to come are failed the same way, so the
// run ends instead of waiting for a worker that will never come.
func (r *Run) lose(p *proc, cause error) {
	p.mu.Lock()
	p.lost = true
	window := p.window.drain()
	p.mu.Unlock()
	p.stop()
	if n := r.sems.ReleaseAll(p.holder); n > 0 {
		r.log.Debug("released the permits of a lost worker", "pid", p.pid, "permits", n)
	}
	interrupted := r.ctx.Err() != nil
	r.log.Debug("worker lost", "pid", p.pid, "jobs_in_flight", len(window), "interrupted", interrupted, "error", cause)
	if interrupted {
		return // the jobs are unfinished, not failed: the user stopped the run
	}
	r.failJobs(window, p, fmt.Errorf("worker %d was lost: %w", p.pid, cause))
	if r.live.Add(-1) == 0 {
		r.failing.Do(func() { r.spawn(r.failRest) })
	}
}

// failJobs records every scanner not yet done on jobs as PROCESS_CRASH.
func (r *Run) failJobs(jobs []*job, p *proc, cause error) {
	e := &scan.Error{Category: scan.ProcessCrash, Message: cause.Error(), Retryable: scan.ProcessCrash.Retryable()}
	var out []Result
	for _, jb := range jobs {
		for left := jb.want &^ jb.done; left != 0; left &= left - 1 {
			i := bits.TrailingZeros64(left)
			out = append(out, Result{Path: jb.path, Meta: jb.meta, Scanner: r.cfg.Scanners[i], Status: StatusError, Err: e, Attempts: jb.attempts, WorkerPID: p.pid})
		}
		jb.done = jb.want
	}
	r.deliver(out)
	r.settle(len(jobs))
}

// failRest fails every job still queued or yet to be produced, once no
// worker is left to run them.
func (r *Run) failRest() {
	dead := &proc{}
	for {
		select {
		case jb := <-r.queue:
			r.failJobs([]*job{jb}, dead, errors.New("no live worker is left to run this job"))
		case <-r.drained:
			return
		case <-r.ctx.Done():
			return
		}
	}
}

// counters are a run's statistics as they accumulate.
type counters struct {
	jobs, settled, results, ok, errors, skipped, findings atomic.Int64
	startTime, duration                                   time.Duration
}

func (c *counters) count(out []Result) {
	var ok, errs, skipped, found int64
	for i := range out {
		switch out[i].Status {
		case StatusOK:
			ok++
		case StatusError:
			errs++
		case StatusSkipped:
			skipped++
		}
		found += int64(len(out[i].Findings))
	}
	c.results.Add(int64(len(out)))
	c.ok.Add(ok)
	c.errors.Add(errs)
	c.skipped.Add(skipped)
	c.findings.Add(found)
}

func (c *counters) snapshot(procs []*proc, sems *semregistry.Registry) Stats {
	st := Stats{
		Jobs: int(c.jobs.Load()), Results: int(c.results.Load()), OK: int(c.ok.Load()),
		Errors: int(c.errors.Load()), Skipped: int(c.skipped.Load()), Findings: int(c.findings.Load()),
		StartTime: c.startTime, Duration: c.duration,
		Unfinished: int(c.jobs.Load() - c.settled.Load()),
	}
	st.Semaphores = sems.Stats()
	for _, p := range procs {
		p.mu.Lock()
		ws := WorkerStats{PID: p.pid, Lost: p.lost}
		if p.metrics != nil {
			ws.JobsDone, ws.RSSBytes = p.metrics.GetJobsDone(), p.metrics.GetRssBytes()
		}
		p.mu.Unlock()
		st.Workers = append(st.Workers, ws)
	}
	return st
}
