package engine

import (
	"context"
	"fmt"
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
// shaken hands (base is unset), and for in-process workers, whose CPU
// cannot be told apart, StartTimeout is the whole bound.
func (r *Run) watchStart(ctx context.Context, end context.CancelCauseFunc, s *startWatch, began time.Time) {
	t := time.NewTimer(r.cfg.StartTimeout)
	defer t.Stop()
	slow := false
	defer func() {
		if slow {
			r.slowStarts.Add(-1)
		}
	}()
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
		if s.pid.Load() == 0 || now-used < r.cfg.StartTimeout/progressShare || took+r.cfg.StartTimeout > r.startLimit() {
			end(fmt.Errorf("%w: not ready within %v (it used %v of CPU)", errStartTimeout, took.Round(time.Millisecond), now))
			return
		}
		if !slow {
			slow = true
			r.slowStarts.Add(1)
			r.log.Debug("a worker is slow to start, but making progress: it is given longer", "pid", s.pid.Load(), "after", took, "cpu", now)
		}
		used = now
		t.Reset(r.cfg.StartTimeout)
	}
}

// startWatch is what watchStart knows of the process it watches, once it
// has shaken hands: its pid, and the CPU it had used by then.
type startWatch struct {
	pid, base atomic.Int64
}

// handshaken records that the process pid has shaken hands.
func (s *startWatch) handshaken(pid int) {
	s.base.Store(int64(ipc.CPUTime(pid)))
	s.pid.Store(int64(pid))
}

// startLimit is the longest a start may take while it makes progress:
// LostAfter, the time a run goes on without any worker, or StartTimeout
// if that is longer.
func (r *Run) startLimit() time.Duration {
	return max(r.cfg.StartTimeout, r.cfg.LostAfter)
}
