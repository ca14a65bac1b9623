package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/ipc"
)

// progressShare is the least share of one CPU a worker still starting
// must have used over the last StartTimeout to be given another: 1/20,
// half a second of CPU in ten. A worker asleep, stopped or blocked uses
// next to none; one compiling its rules on a busy machine uses far more.
const progressShare = 20

// watchStart ends a start (end, with errStartTimeout as the cause) that
// has gone StartTimeout without being ready and without progress. A worker
// process that used at least 1/progressShare of a CPU over that time,
// since its handshake, is building its scanners, only slowly (a slow or
// busy machine, a big rule set: the secrets scanner's rules take seconds
// under the race detector with other work beside it): it is given another
// StartTimeout, and so on up to startLimit in all; while it is, the run
// does not count it as without workers (checkLost). Until the process has
// shaken hands, StartTimeout is the whole bound. An in-process worker's
// CPU is this process's, with whatever else it does.
func (r *Run) watchStart(ctx context.Context, end context.CancelCauseFunc, s *startWatch, began time.Time) {
	t := time.NewTimer(r.cfg.StartTimeout)
	defer t.Stop()
	used := time.Duration(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		took := time.Since(began)
		now := time.Duration(0)
		if used < 0 {
			used = time.Duration(s.base.Load())
		}
		if id := s.pid.Load(); id > 0 {
			now = ipc.CPUTime(int(id))
		}
		if s.pid.Load() == 0 || now-used < r.cfg.StartTimeout/progressShare || took >= r.startLimit() {
			end(fmt.Errorf("%w: not ready within %v (it used %v of CPU)", errStartTimeout, took.Round(time.Millisecond), now))
			return
		}
		if s.markSlow(r) {
			r.log.Debug("a worker is slow to start, but making progress: it is given longer", "pid", s.pid.Load(), "after", took, "cpu", now)
		}
		used = now
		t.Reset(min(r.cfg.StartTimeout, r.startLimit()-took))
	}
}

// startWatch is what watchStart knows of the process it watches, once it
// has shaken hands: its pid, and the CPU it had used by then; and whether
// the start counts among the run's slow ones.
type startWatch struct {
	pid, base atomic.Int64
	mu        sync.Mutex
	slow      bool // counted in Run.slowStarts
	over      bool // the start has ended: it counts no more
}

// markSlow counts the start among the run's slow ones, unless it is
// counted already or over; it reports whether it did.
func (s *startWatch) markSlow(r *Run) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slow || s.over {
		return false
	}
	s.slow = true
	r.slowStarts.Add(1)
	return true
}

// ended ends the start's count among the slow ones. A start that failed
// has its failure recorded first (the run's last), so that a run given up
// at once names it.
func (s *startWatch) ended(r *Run, failed *startError) {
	if failed != nil {
		r.mu.Lock()
		r.lastFailure = failed
		r.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.over = true
	if s.slow {
		r.slowStarts.Add(-1)
	}
}

// handshaken records that the process pid has shaken hands.
func (s *startWatch) handshaken(pid int) {
	s.base.Store(int64(ipc.CPUTime(pid)))
	s.pid.Store(int64(pid))
}

// slowStarts is how many times LostAfter a start that keeps making
// progress may take: 90s by default. The secrets scanner's rules, built
// under the race detector beside a second test run on two cores, took
// 5.5s of CPU over 20s; a scanner whose constructor spins for ever still
// ends its run.
const slowStarts = 3

// startLimit is the longest a start may take while it makes progress.
func (r *Run) startLimit() time.Duration {
	return slowStarts * max(r.cfg.StartTimeout, r.cfg.LostAfter)
}
