package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/semregistry"
)

// receive reads one worker's upstream until it ends, then ends the worker.
// A stream that ends before WorkerComplete means the worker was lost.
func (r *Run) receive(p *proc) {
	defer close(p.gone)
	defer r.sems.ReleaseAll(p.holder) // after the end: nothing it held outlives it
	defer p.end()
	for {
		msg, err := p.stream.Recv()
		p.heard.Store(time.Now().UnixNano())
		if err == nil {
			if err = r.handle(p, msg); err != nil {
				r.expel(p, err)
			}
		}
		if err != nil {
			p.mu.Lock()
			complete := p.complete && !errors.Is(err, errProtocol)
			p.mu.Unlock()
			if !complete { // after WorkerComplete, however the stream ends, nothing is lost
				r.lose(p, err)
			}
			return
		}
	}
}

// collect turns a batch of results into Results, settles the jobs they
// complete (returning their credit), and delivers the batch. A batch that
// does not decode is a broken worker.
func (r *Run) collect(p *proc, batch *pb.Results) error {
	out := r.batches.get(len(batch.GetJobIds()))
	var again []*job
	finished, settled := 0, 0
	p.mu.Lock()
	var bad error // the first result the run did not ask for; the rest are dropped
	err := wire.EachResult(batch, func(res wire.Result) {
		jb := p.window.get(res.JobID)
		bit := uint64(1) << (res.Scanner % 64)
		switch {
		case bad != nil:
			return
		case jb == nil || int(res.Scanner) >= len(r.cfg.Scanners) || jb.want&bit == 0:
			bad = violation("a result for job %#x, scanner %d, which it was not given or had finished", res.JobID, res.Scanner)
			return
		case (jb.done|jb.retry)&bit != 0:
			bad = violation("a second result for job %#x, scanner %d", res.JobID, res.Scanner)
			return
		}
		if res.Status == pb.Status_STATUS_ERROR && res.Detail.GetError().GetRetryable() && r.mayRetry(jb.attempts) {
			jb.retry |= bit // withheld: the scanner runs again
		} else {
			jb.done |= bit
			out = append(out, r.convert(res, jb, p.pid))
		}
		if jb.done|jb.retry == jb.want {
			p.window.remove(res.JobID)
			finished++
			if jb.retry != 0 {
				again = append(again, jb)
			} else {
				settled++
			}
		}
	})
	p.finished += finished
	p.mu.Unlock()
	if n := batch.GetJobsFinished(); n > 0 && !r.batching {
		p.credits.Resize(p.pace.window(batch.GetBusyNs(), n))
	}
	p.credits.Return(finished)
	r.deliver(out)
	r.settle(settled)
	for _, jb := range again {
		r.stats.retries.Add(1)
		r.requeue(jb, r.retryDelay(jb.attempts))
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errProtocol, err)
	}
	return bad
}

func (r *Run) convert(res wire.Result, jb *job, pid int) Result {
	out := jb.result(r.cfg.Scanners[res.Scanner], pid)
	d := res.Detail
	out.SHA256 = d.GetSha256()
	out.Settings = r.settings[res.Scanner]
	out.Findings = ipc.FindingsFromWire(d.GetFindings()) // an archive's error keeps what was found before it
	out.Members = ipc.MembersFromWire(d.GetMembers())
	out.Commit = ipc.CommitFromWire(d.GetCommit())
	switch res.Status {
	case pb.Status_STATUS_OK:
		out.Status = StatusOK
		if len(d.GetData()) > 0 {
			out.Data = json.RawMessage(d.GetData())
		}
	case pb.Status_STATUS_SKIPPED:
		out.Status = StatusSkipped
		out.Reason = d.GetSkipReason()
	default:
		out.Status = StatusError
		if out.Error = ipc.ErrorFromWire(d.GetError()); out.Error == nil {
			out.Error = ipc.ErrorFromWire(&pb.Error{}) // an error status without its detail
		}
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

// counters are a run's statistics as they accumulate.
type counters struct {
	jobs, settled, results, ok, errors, skipped, findings atomic.Int64
	restarts, retries, respawn, startFailures             atomic.Int64
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
		Restarts:   int(c.restarts.Load()), Retries: int(c.retries.Load()),
		Respawn:       time.Duration(c.respawn.Load()),
		StartFailures: int(c.startFailures.Load()),
	}
	st.Semaphores = sems.Stats()
	for _, p := range procs {
		p.mu.Lock()
		ws := WorkerStats{PID: p.pid, Lost: p.lost, Exit: p.exit(), Start: p.startTook}
		if p.killed != nil {
			ws.Killed = p.killed.category.String()
		}
		if p.metrics != nil {
			ws.JobsDone, ws.RSSBytes = p.metrics.GetJobsDone(), p.metrics.GetRssBytes()
		}
		p.mu.Unlock()
		st.Workers = append(st.Workers, ws)
	}
	return st
}
