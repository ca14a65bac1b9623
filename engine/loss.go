package engine

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/forkscan/forkscan/worker/scan"
)

// lose settles a worker that died, was killed or broke its stream. Its
// board says which of the jobs in its window were running: those are
// charged the attempt and run again after their backoff, or, out of
// attempts, end as PROCESS_CRASH (or the category of the parent's kill,
// such as RESOURCE_LIMIT), with the worker's exit status and the end of its
// stderr. A job killed for its time limit ends as TIMEOUT. The jobs that
// were only waiting in the window go back to the queue at once, not
// charged. An interrupted run leaves them all unfinished.
func (r *Run) lose(p *proc, cause error) {
	running := map[uint64]bool{}
	for _, e := range p.board.Running() { // read before the end unmaps it
		running[e.Job] = true
	}
	if p.killFn != nil {
		p.killFn() // lost is lost: no grace for a worker that broke its stream
	}
	p.end() // reaped, so its exit status and stderr are complete
	p.mu.Lock()
	p.lost = true
	charged := map[*job]bool{}
	for h := range running {
		if jb := p.window.get(h); jb != nil {
			charged[jb] = true
		}
	}
	var late map[*job]bool
	if k := p.killed; k != nil && k.jobs != nil {
		late = map[*job]bool{}
		for h := range k.jobs {
			if jb := p.window.get(h); jb != nil {
				late[jb] = true
			}
		}
	}
	killed := p.killed
	window := p.window.drain()
	p.mu.Unlock()
	p.stop()
	r.sems.ReleaseAll(p.holder)
	if r.ctx.Err() != nil {
		r.log.Debug("worker lost in an interrupted run", "pid", p.pid, "jobs_in_flight", len(window))
		return // unfinished, not failed: the user stopped the run
	}
	why := r.lossReport(p, killed, cause)
	r.log.Debug("worker lost", "pid", p.pid, "jobs_in_flight", len(window), "running", len(charged), "why", why)
	for _, jb := range window {
		switch {
		case late != nil && late[jb]:
			r.fail([]*job{jb}, p, &scan.Error{Category: scan.Timeout, Message: why})
		case !charged[jb] || late != nil:
			jb.attempts-- // never started, or an innocent bystander of a timeout
			r.requeue(jb, 0)
		default:
			r.retryOrFail(jb, p, why, killed)
		}
	}
}

// retryOrFail charges jb for its worker's death: another attempt after its
// backoff if it has one left, else an error record of the kill's category
// (PROCESS_CRASH when the worker died by itself).
func (r *Run) retryOrFail(jb *job, p *proc, why string, k *kill) {
	if r.mayRetry(jb.attempts) {
		r.stats.retries.Add(1)
		r.requeue(jb, r.retryDelay(jb.attempts))
		return
	}
	c := scan.ProcessCrash
	if k != nil {
		c = k.category
	}
	msg := fmt.Sprintf("%s; attempt %d of %d", why, jb.attempts, max(r.cfg.Retries, 0)+1)
	r.fail([]*job{jb}, p, &scan.Error{Category: c, Message: msg, Retryable: c.Retryable()})
}

// lossReport says what happened to p: the parent's reason for killing it,
// or its exit status, and the last lines of its stderr.
func (r *Run) lossReport(p *proc, k *kill, cause error) string {
	var b strings.Builder
	switch status := p.exit(); {
	case k != nil:
		b.WriteString(k.message)
	case status != "":
		fmt.Fprintf(&b, "worker (pid %d) died: %s", p.pid, status)
	default:
		fmt.Fprintf(&b, "worker (pid %d) was lost: %v", p.pid, cause)
	}
	if t := p.stderr.crash(8); t != "" {
		fmt.Fprintf(&b, "; its stderr ended with:\n%s", t)
	}
	return b.String()
}

// fail records every scanner not yet done on jobs as failed with e, and
// settles the jobs.
func (r *Run) fail(jobs []*job, p *proc, e *scan.Error) {
	var out []Result
	for _, jb := range jobs {
		for left := jb.want &^ jb.done; left != 0; left &= left - 1 {
			i := bits.TrailingZeros64(left)
			res := jb.result(r.cfg.Scanners[i], p.pid)
			res.Status, res.Error = StatusError, e
			out = append(out, res)
		}
		jb.done = jb.want
	}
	r.deliver(out)
	r.settle(len(jobs))
}

// failRest fails every job still queued or yet to be produced, once no
// worker is left to run them.
func (r *Run) failRest() {
	r.failed.Store(true)
	r.mu.Lock()
	why := r.cause
	r.mu.Unlock()
	dead := &proc{}
	e := &scan.Error{Category: scan.ProcessCrash, Message: fmt.Sprintf("no worker is left to run this job: %v", why), Retryable: true}
	if jobs := r.deck.takeAll(); len(jobs) > 0 {
		r.fail(jobs, dead, e)
	}
	for {
		select {
		case jb := <-r.queue:
			r.fail([]*job{jb}, dead, e)
		case <-r.drained:
			return
		case <-r.ctx.Done():
			return
		}
	}
}
