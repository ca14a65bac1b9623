package engine

import (
	"fmt"
	"time"
)

// Respawn pacing: a worker that fails to start, or dies without finishing a
// job, is replaced after a delay that doubles with each such failure in its
// slot, from respawnDelay up to maxRespawnDelay, so that a scanner that
// crashes on every job, or a start that fails every time, cannot fork-bomb
// the machine. A slot is never given up while the run has work: the run
// ends instead when no worker could run for Config.LostAfter.
//
// exitStrikes is how many workers in a row may exit by themselves before
// their handshake, while no worker of the run has ever been ready, before
// that is taken for a program that cannot serve as a worker.
const (
	respawnDelay    = 10 * time.Millisecond
	maxRespawnDelay = time.Second
	exitStrikes     = 3
)

// supervise keeps slot's place in the pool filled until the run no longer
// wants workers: it starts a worker, serves it until its upstream ends, and
// starts the next, pacing the starts that follow failures. It retires the
// slot on a start failure that would repeat on every try.
func (r *Run) supervise(slot int) {
	defer r.retire()
	select { // started when the run has work for it
	case <-r.demand.wanted[slot]:
	case <-r.starting.Done():
		return
	}
	failures, exits := 0, 0 // failed starts or barren deaths in a row; exits before a handshake in a row
	var ended time.Time     // when the slot's last worker ended
	for r.pause(backoff(respawnDelay, 2, failures, maxRespawnDelay)) {
		p, err := r.launch(slot)
		if err != nil {
			if r.starting.Err() != nil {
				return // cut short: the run wants no worker now
			}
			if r.startFailed(err, &exits) {
				return
			}
			failures++
			continue
		}
		exits = 0
		if !r.enlist(p) {
			p.end()
			return
		}
		if !ended.IsZero() {
			r.stats.restarts.Add(1)
			r.stats.respawn.Add(int64(time.Since(ended)))
			r.log.Debug("worker replaced", "slot", slot, "pid", p.pid)
		}
		r.serve(p)
		ended = time.Now()
		r.discharge(p)
		p.mu.Lock()
		lost, finished := p.lost, p.finished
		p.mu.Unlock()
		switch {
		case finished > 0:
			failures = 0
		case lost:
			failures++
		}
	}
}

// demand starts the slots of the pool as the run's jobs call for them: the
// first at once, in parallel with the walk; slot i once the source has
// yielded more than i·Tasks jobs, so that a run of a few files does not
// start, and pay for, workers it has nothing for (each builds its
// scanners: some 150ms of CPU for the secrets scanner's rules).
type demand struct {
	wanted []chan struct{} // closed when slot i is wanted
	per    int64           // jobs per slot
	next   int             // the producer's: the first slot not yet wanted
}

func newDemand(slots, tasks int) demand {
	d := demand{wanted: make([]chan struct{}, slots), per: int64(tasks), next: 1}
	for i := range d.wanted {
		d.wanted[i] = make(chan struct{})
	}
	close(d.wanted[0])
	return d
}

// job counts the n-th job from the source.
func (d *demand) job(n int64) {
	for d.next < len(d.wanted) && n > int64(d.next)*d.per {
		close(d.wanted[d.next])
		d.next++
	}
}

// serve runs one worker until its upstream ends.
func (r *Run) serve(p *proc) {
	r.spawn(func() { r.send(p) })
	r.spawn(func() { r.serveLine(p) })
	r.receive(p)
}

// startFailed records a worker that did not start. It reports whether the
// slot is to be retired: the failure would repeat on every try. If no
// worker of the run has ever been ready, such a failure ends every slot's
// attempts, and the run with it.
func (r *Run) startFailed(e *startError, exits *int) (retire bool) {
	r.stats.startFailures.Add(1)
	if e.exited() && !r.everReady() {
		*exits++
	}
	permanent := e.permanent() || r.cfg.InProcess || *exits >= exitStrikes
	r.mu.Lock()
	r.lastFailure = e
	ever := r.ready
	if permanent && r.cause == nil {
		r.cause = e
	}
	r.mu.Unlock()
	if !permanent {
		r.log.Debug("a worker did not start; trying again", "error", e)
		return false
	}
	r.log.Warn("a worker cannot be started", "error", e)
	if !ever {
		r.stopStarting(e) // every slot would fail the same way
	}
	return true
}

// pause waits d, or less if the run stops wanting workers; it reports
// whether a worker is still wanted.
func (r *Run) pause(d time.Duration) bool {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.starting.Done():
		}
	}
	return r.starting.Err() == nil
}

// enlist makes p its slot's worker, unless the run wants none.
func (r *Run) enlist(p *proc) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over || r.starting.Err() != nil {
		return false
	}
	r.procs = append(r.procs, p)
	r.current[p.slot] = p
	r.serving.Add(1)
	if !r.ready {
		r.ready = true
		close(r.firstReady)
	}
	if !r.filled[p.slot] {
		r.filled[p.slot] = true
		if r.unfilled--; r.unfilled == 0 {
			r.stats.startTime = time.Since(r.started)
		}
	}
	return true
}

// discharge takes p, which has ended, off its slot.
func (r *Run) discharge(p *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current[p.slot] == p {
		r.current[p.slot] = nil
	}
	if r.serving.Add(-1) == 0 {
		r.idleSince = time.Now()
	}
}

// everReady reports whether a worker of the run has been ready.
func (r *Run) everReady() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// retire ends a slot's supervision. When the last slot is retired while
// the run still has jobs and was not interrupted, those jobs are failed:
// no worker is left to run them.
func (r *Run) retire() {
	if r.slots.Add(-1) != 0 {
		return
	}
	close(r.noSlots)
	// Before any worker was ready, Start reports the failure instead.
	if r.ctx.Err() == nil && r.pending.Load() > 0 && r.everReady() {
		r.failing.Do(func() { r.spawn(r.failRest) })
	}
}

// checkLost ends the run's attempts to start workers when no worker has
// been able to run for LostAfter while jobs wait: the run then fails them
// with ErrAllWorkersLost, naming what the last worker died of.
func (r *Run) checkLost(now time.Time) {
	r.mu.Lock()
	idle := r.serving.Load() == 0 && now.Sub(r.idleSince) > r.cfg.LostAfter && r.slowStarts.Load() == 0
	last := r.lastFailure
	r.mu.Unlock()
	if !idle || r.pending.Load() == 0 || r.starting.Err() != nil {
		return
	}
	err := fmt.Errorf("%w: no worker could run for %v", ErrAllWorkersLost, r.cfg.LostAfter)
	if last != nil {
		err = fmt.Errorf("%w; the last one: %w", err, last)
	}
	r.mu.Lock()
	r.cause = err
	r.mu.Unlock()
	r.log.Warn("giving up on the workers", "error", err)
	r.stopStarting(err)
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
