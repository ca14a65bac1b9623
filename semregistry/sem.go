package semregistry

import (
	"slices"
	"time"
)

// sem is one named weighted semaphore: permits in use, and the requests
// waiting for them in arrival order.
type sem struct {
	name       string
	capacity   int64
	configured bool
	inUse      int64
	queue      []*Wait
	byHolder   map[Holder]int64
	stat       Stat
}

func newSem(name string, capacity int64, configured bool) *sem {
	return &sem{name: name, capacity: capacity, configured: configured,
		byHolder: make(map[Holder]int64), stat: Stat{Name: name, Capacity: capacity}}
}

// Wait is one request for permits, from Request until its answer, as
// Request returns it; the zero value is not usable.
type Wait struct {
	r      *Registry
	s      *sem
	h      Holder
	weight int64
	start  time.Time
	done   func(error)

	// under r.mu
	answered bool
	err      error
}

// Pending reports whether w still waits for its answer.
func (w *Wait) Pending() bool {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return !w.answered
}

// Withdraw ends w if it still waits: its done gets ErrWithdrawn, and the
// requests behind it may be granted. It reports whether w was still
// waiting; if not, done has its answer already (or is being given it).
func (w *Wait) Withdraw() bool {
	r := w.r
	r.mu.Lock()
	if w.answered {
		r.mu.Unlock()
		return false
	}
	w.s.queue = slices.DeleteFunc(w.s.queue, func(q *Wait) bool { return q == w })
	w.settle(ErrWithdrawn)
	settled := r.admit(w.s, []*Wait{w}) // a large request in front may have held back small ones
	r.mu.Unlock()
	answer(settled)
	return true
}

// settle records w's answer; the caller holds r.mu and calls done after
// unlocking (see answer).
func (w *Wait) settle(err error) {
	w.answered, w.err = true, err
	w.s.stat.Wait += time.Since(w.start)
}

// admit grants permits to the requests at the front of s's queue, in order,
// while they fit: a request that does not fit holds back those behind it,
// so a large request is never starved by small ones. It appends the
// granted requests to settled. The caller holds r.mu.
func (r *Registry) admit(s *sem, settled []*Wait) []*Wait {
	for len(s.queue) > 0 && s.inUse+s.queue[0].weight <= s.capacity {
		w := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		r.lease(s, w)
		w.settle(nil)
		settled = append(settled, w)
	}
	if len(s.queue) == 0 {
		s.queue = nil // let a long queue's array go
	}
	return settled
}

// lease records w's permits as held by its holder. The caller holds r.mu.
func (r *Registry) lease(s *sem, w *Wait) {
	hd := r.holders[w.h]
	s.stat.Acquires++
	hd.leases[s.name] += w.weight
	s.byHolder[w.h] += w.weight
	s.inUse += w.weight
	s.stat.PeakInUse = max(s.stat.PeakInUse, s.inUse)
	s.stat.PeakHolders = max(s.stat.PeakHolders, len(s.byHolder))
}

// answer calls the done function of each settled request, in order. The
// registry must not be locked.
func answer(settled []*Wait) {
	for _, w := range settled {
		w.done(w.err)
	}
}

// Stat describes one semaphore over the registry's life.
type Stat struct {
	Name        string
	Capacity    int64
	Acquires    int           // granted requests
	PeakInUse   int64         // most permits held at once
	PeakHolders int           // most holders (workers) holding permits at once
	Wait        time.Duration // total time requests waited, granted or not
	Waiting     int           // requests waiting now
}
