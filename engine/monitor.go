package engine

import (
	"fmt"
	"time"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// monitorEvery is how often the parent looks at its workers.
const monitorEvery = 50 * time.Millisecond

// kill is why the parent killed a worker, which decides how its running
// jobs end (see lose).
type kill struct {
	category scan.Category
	message  string
	jobs     map[uint64]bool // for a timeout: the handles of the jobs out of time
}

// monitor watches the live workers until the run ends: jobs past
// JobTimeout are cancelled, and their worker killed if they outlast
// Grace; a worker over MemoryLimit is killed, as is one that has been
// silent for Watchdog.
func (r *Run) monitor() {
	t := time.NewTicker(monitorEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.ending:
			return
		}
		live := r.currentProcs()
		now := time.Now()
		r.checkLost(now)
		for _, p := range live {
			r.checkJobs(p, now)
			r.checkProcess(p, now)
		}
	}
}

// checkJobs cancels p's jobs past their time, and kills p if one of them
// outlived the cancel by Grace.
func (r *Run) checkJobs(p *proc, now time.Time) {
	if r.cfg.JobTimeout == 0 {
		return
	}
	var cancel []uint64
	late := map[uint64]bool{}
	for _, e := range p.board.Running() {
		over := now.Sub(e.Since) - r.cfg.JobTimeout
		if over < 0 {
			continue
		}
		p.mu.Lock()
		first := !p.cancelled[e.Job] && p.window.get(e.Job) != nil
		p.cancelled[e.Job] = true
		p.mu.Unlock()
		if first {
			cancel = append(cancel, e.Job)
		}
		if over >= r.cfg.Grace && p.killFn != nil {
			late[e.Job] = true
		}
	}
	for _, id := range cancel {
		r.aux.Go(func() { // a stalled stream must not stall the monitor
			_ = p.send(&pb.WorkRequest{Msg: &pb.WorkRequest_Cancel{Cancel: &pb.Cancel{JobId: id}}})
		})
	}
	if len(late) > 0 {
		r.log.Debug("killing a worker whose job ignored its cancel", "pid", p.pid, "jobs", len(late))
		p.kill(&kill{category: scan.Timeout, jobs: late,
			message: fmt.Sprintf("the job ran past its time limit (%v) and ignored its cancel for %v, so its worker (pid %d) was killed", r.cfg.JobTimeout, r.cfg.Grace, p.pid)})
	}
}

// checkProcess kills p if it is over the memory limit or silent too long.
func (r *Run) checkProcess(p *proc, now time.Time) {
	if p.killFn == nil {
		return
	}
	if r.cfg.Watchdog > 0 {
		if quiet := now.Sub(time.Unix(0, p.heard.Load())); quiet > r.cfg.Watchdog {
			r.log.Debug("killing a silent worker", "pid", p.pid, "quiet", quiet)
			p.kill(&kill{category: scan.Timeout,
				message: fmt.Sprintf("worker (pid %d) sent nothing for %v and was killed as hung", p.pid, quiet.Round(time.Millisecond))})
			return
		}
	}
	if r.cfg.MemoryLimit > 0 {
		if rss := ipc.ResidentBytes(p.pid); rss > r.cfg.MemoryLimit {
			r.log.Debug("killing a worker over the memory limit", "pid", p.pid, "rss", rss)
			p.kill(&kill{category: scan.ResourceLimit,
				message: fmt.Sprintf("worker (pid %d) used %d bytes of memory, over the limit of %d, and was killed", p.pid, rss, r.cfg.MemoryLimit)})
		}
	}
}
