package engine

import (
	"iter"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/worker/scan"
)

// maxJobBatch caps the jobs in one Jobs message.
const maxJobBatch = 512

// job is a Job on its way through the run.
type job struct {
	root     string
	path     string
	meta     any
	want     uint64 // bit i set: the run's scanner i is to run
	done     uint64 // bit i set: scanner i has its terminal result
	retry    uint64 // bit i set: scanner i failed and is to run again
	attempts int    // times sent to a worker, the one running it included
}

// result starts the record of scanner on the job, made by worker pid.
func (jb *job) result(scanner string, pid int) Result {
	return Result{Record: record.Record{Root: jb.root, Path: jb.path, Scanner: scanner, Attempts: jb.attempts, WorkerPID: pid},
		Meta: jb.meta}
}

// produce takes jobs from the source and queues them, until the source ends
// or the run is interrupted.
func (r *Run) produce(jobs iter.Seq[Job]) {
	defer r.finish(1) // the producer's token
	all := uint64(1)<<len(r.cfg.Scanners) - 1
	stop := r.ctx.Done()
	for j := range jobs {
		select {
		case <-stop:
			return
		default:
		}
		r.demand.job(r.stats.jobs.Add(1))
		jb := &job{root: j.Root, path: j.Path, meta: j.Meta, want: all}
		if len(j.Scanners) > 0 {
			if err := r.narrow(jb, j.Scanners); err != nil {
				r.deliver(r.rejected(jb, j.Scanners, err))
				r.stats.settled.Add(1)
				continue
			}
		}
		r.pending.Add(1)
		select {
		case r.queue <- jb: // the common case, without a full select
			continue
		default:
		}
		select {
		case r.queue <- jb:
		case <-stop:
			r.pending.Add(-1)
			r.stats.jobs.Add(-1)
			return
		}
	}
}

// narrow restricts jb to the named scanners.
func (r *Run) narrow(jb *job, names []string) error {
	jb.want = 0
	for _, n := range names {
		i, ok := r.scanIndex[n]
		if !ok {
			return scan.Errorf(scan.InvalidInput, "scanner %q is not one of this run's scanners %v", n, r.cfg.Scanners)
		}
		jb.want |= 1 << i
	}
	return nil
}

// rejected returns the error records of a job refused before dispatch.
func (r *Run) rejected(jb *job, names []string, err error) []Result {
	e := scan.AsError(err)
	out := make([]Result, len(names))
	for i, n := range names {
		out[i] = jb.result(n, 0)
		out[i].Status, out[i].Error = StatusError, e
	}
	return out
}

// send feeds one worker: it waits for free credit, gathers as many queued
// jobs as the credit allows (a lone job goes at once), and sends them as one
// batch. When the run has nothing more to send it tells the worker to drain,
// or to stop if the run was interrupted.
//
// With MaxJobsPerWorker, the worker is told to drain once it has been sent
// that many jobs; its replacement takes over.
func (r *Run) send(p *proc) {
	buf := make([]*job, 0, min(r.cfg.Window, maxJobBatch))
	left := r.cfg.MaxJobsPerWorker
	for r.cfg.MaxJobsPerWorker == 0 || left > 0 {
		most := min(r.cfg.Window, maxJobBatch)
		if r.cfg.MaxJobsPerWorker > 0 {
			most = min(most, left)
		}
		if r.batching {
			p.credits.Resize(r.share())
		}
		n := p.credits.Take(p.quit, most)
		if n == 0 {
			break
		}
		var ok bool
		if r.batching {
			buf, ok = r.deal(p.quit, buf[:0], n)
		} else {
			buf, ok = ipc.Gather(p.quit, r.queue, buf[:0], n)
		}
		p.credits.Return(n - len(buf))
		if !ok {
			break
		}
		if !r.dispatch(p, buf) {
			return
		}
		left -= len(buf)
	}
	r.closeDown(p)
}

// dispatch records jobs as in flight on p and sends them. It returns false
// if p is lost; the jobs then go back to the queue, not charged.
func (r *Run) dispatch(p *proc, jobs []*job) bool {
	msg := &pb.Jobs{
		Ids:         make([]uint64, 0, len(jobs)),
		PathEnds:    make([]uint32, 0, len(jobs)),
		RootLens:    make([]uint32, 0, len(jobs)),
		ScannerSets: make([]uint64, 0, len(jobs)),
		Attempts:    make([]uint32, 0, len(jobs)),
	}
	p.mu.Lock()
	lost := p.lost
	for _, jb := range jobs {
		jb.attempts++
		var handle uint64
		if !lost {
			handle = p.window.put(jb)
		}
		wire.AppendJob(msg, wire.Job{ID: handle, Root: jb.root, Path: jb.path, Scanners: jb.want &^ jb.done, Attempt: uint32(jb.attempts)})
	}
	p.mu.Unlock()
	if lost {
		for _, jb := range jobs {
			jb.attempts--
			r.requeue(jb, 0)
		}
		return false
	}
	// A send error means the stream broke; the receiver sees it too and
	// settles the window, these jobs included.
	return p.send(&pb.WorkRequest{Msg: &pb.WorkRequest_Jobs{Jobs: msg}}) == nil
}

func (r *Run) closeDown(p *proc) {
	msg := &pb.WorkRequest{Msg: &pb.WorkRequest_Drain{Drain: &pb.Drain{}}}
	if r.ctx.Err() != nil { // not r.stopErr: watch sets it, unsynchronised, once the context has ended
		msg = &pb.WorkRequest{Msg: &pb.WorkRequest_Shutdown{Shutdown: &pb.Shutdown{}}}
	}
	if err := p.send(msg); err != nil {
		r.log.Debug("closing a worker's stream", "pid", p.pid, "error", err)
	}
}
