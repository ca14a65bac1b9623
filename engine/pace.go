package engine

import (
	"time"

	"github.com/forkscan/forkscan/worker/scan"
)

// horizon is how much work a worker may hold queued beyond the jobs its
// tasks are running, in time: enough to cover the trip of a result up and
// the next job down, even on a busy machine, so that a task never waits
// for its next job; little enough that a slow job waits behind at most
// this much on one worker while another worker idles.
const horizon = 10 * time.Millisecond

// pacer sizes a worker's window of jobs from how long its jobs take, as
// TCP sizes a congestion window from the round trip: Tasks running, plus
// as many queued as the tasks get through in horizon. Fast jobs get the
// whole Config.Window and travel in big batches; jobs of 200ms get one
// per task, so that 24 of them on 3 workers of 1 task take 8 rounds, not
// 24 on the worker that was ready first. Until a worker has finished a
// job, its window is one job per task.
//
// The time per job is the worker's own measure (Results.busy_ns over
// jobs_finished), averaged with the last estimate so that one odd job
// does not swing the window.
type pacer struct {
	tasks, most int
	perJob      float64 // nanoseconds, 0 until measured
}

func newPacer(tasks, most int) pacer { return pacer{tasks: min(tasks, most), most: most} }

// first is a new worker's window.
func (p *pacer) first() int { return p.tasks }

// window takes a worker's report of jobs it finished in busy nanoseconds
// and returns the window it should have now.
func (p *pacer) window(busy uint64, jobs uint32) int {
	sample := float64(busy) / float64(jobs)
	if p.perJob == 0 {
		p.perJob = sample
	} else {
		p.perJob = (p.perJob + sample) / 2
	}
	queued := float64(p.tasks) * float64(horizon) / max(p.perJob, 1)
	return min(p.tasks+int(min(queued, float64(p.most))), p.most)
}

// batching reports whether a scanner of the run works in batches (its
// Def.Batch is more than 1).
func batching(scanners []string) bool {
	for _, name := range scanners {
		if def, ok := scan.Lookup(name); ok && def.Batch > 1 {
			return true
		}
	}
	return false
}

// share is a worker's window when the run has a batch scanner: its fair
// share of the jobs not yet settled, ceil(pending / Workers), between one
// job per task and Config.Window. A batch scanner's worker groups what it
// holds into calls, so its window must hold batches, not the one job per
// task that the pacer gives slow jobs; the share keeps the batches spread
// over every worker, as pre-commit spreads files over its jobs
// (files / jobs per batch), and shrinks them at the tail of the run.
func (r *Run) share() int {
	pending := int(r.stats.jobs.Load() - r.stats.settled.Load())
	return min(max((pending+r.cfg.Workers-1)/r.cfg.Workers, r.cfg.Tasks), r.cfg.Window)
}
