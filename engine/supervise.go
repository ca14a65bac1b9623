package engine

import (
	"time"
)

// Respawn pacing: a worker that dies without finishing a job is replaced
// after a delay that doubles with each such death in its slot, from
// respawnDelay up to maxRespawnDelay, so a scanner that crashes on every
// job cannot fork-bomb the machine. A slot whose replacement fails to
// start startAttempts times in a row is given up.
const (
	respawnDelay    = 10 * time.Millisecond
	maxRespawnDelay = time.Second
	startAttempts   = 5
)

// supervise runs the workers of one slot of the pool in turn: the first,
// then a replacement whenever one dies, is killed or is recycled while the
// run still has work, until the run is over.
func (r *Run) supervise(p *proc) {
	barren := 0 // deaths in a row of workers that finished no job
	for p != nil {
		r.serve(p)
		p.mu.Lock()
		lost, finished := p.lost, p.finished
		p.mu.Unlock()
		switch {
		case finished > 0:
			barren = 0
		case lost:
			barren++
		}
		p = r.replace(p.slot, barren, time.Now())
	}
}

// serve runs one worker until its upstream ends.
func (r *Run) serve(p *proc) {
	r.spawn(func() { r.send(p) })
	r.spawn(func() { r.serveLine(p) })
	r.receive(p)
}

// replace starts the next worker of slot, after the pause barren deaths
// call for. It returns nil when none is needed (the run is over) or none
// could be started; in that case the slot is given up, and when the last
// slot is, the jobs left are failed.
func (r *Run) replace(slot, barren int, ended time.Time) *proc {
	for attempt := range startAttempts {
		if !r.pause(backoff(respawnDelay, 2, barren+attempt, maxRespawnDelay)) {
			return nil
		}
		p, err := r.startWorker(slot)
		if err == nil {
			if !r.enlist(p) {
				p.end()
				return nil
			}
			r.stats.restarts.Add(1)
			r.stats.respawn.Add(int64(time.Since(ended)))
			r.log.Debug("worker replaced", "slot", slot, "pid", p.pid)
			return p
		}
		r.log.Warn("a replacement worker did not start", "slot", slot, "attempt", attempt+1, "error", err)
	}
	r.giveUp()
	return nil
}

// pause waits d, or less if the run is over; it reports whether a worker
// is still wanted.
func (r *Run) pause(d time.Duration) bool {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.drained:
		case <-r.ctx.Done():
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.over
}

// enlist makes p its slot's worker, unless the run is over.
func (r *Run) enlist(p *proc) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over {
		return false
	}
	r.procs = append(r.procs, p)
	r.current[p.slot] = p
	return true
}

// giveUp retires a slot. When none is left, the jobs still to come are
// failed, so the run ends instead of waiting for a worker that will never
// come.
func (r *Run) giveUp() {
	if r.live.Add(-1) == 0 {
		r.failing.Do(func() { r.spawn(r.failRest) })
	}
}

// backoff returns base·factor^n, capped at limit; 0 for n = 0.
func backoff(base time.Duration, factor float64, n int, limit time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	d := float64(base)
	for range n - 1 {
		if d *= factor; d >= float64(limit) {
			return limit
		}
	}
	return min(time.Duration(d), limit)
}
