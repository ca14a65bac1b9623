package semregistry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors a caller tells apart with errors.Is.
var (
	ErrEmptyName   = errors.New("semregistry: empty semaphore name")
	ErrWeight      = errors.New("semregistry: weight must be at least 1 and at most the capacity")
	ErrCapacity    = errors.New("semregistry: capacity missing or different from the semaphore's")
	ErrUndeclared  = errors.New("semregistry: semaphore not declared")
	ErrOverRelease = errors.New("semregistry: release of more permits than held")
	ErrHolderGone  = errors.New("semregistry: holder was released")
	ErrWithdrawn   = errors.New("semregistry: request withdrawn")
)

// Config says which semaphores exist up front. The zero value declares none
// and lets the first request for a name create it.
type Config struct {
	// Capacities fixes the capacity of named semaphores; it wins over the
	// capacity a request asks for.
	Capacities map[string]int64
	// DeclaredOnly refuses every name not in Capacities.
	DeclaredOnly bool
}

// Holder identifies who holds permits: the engine uses one per worker
// process.
type Holder uint64

// Registry is a set of named semaphores with per-holder leases. It is safe
// for concurrent use. The zero value is not usable (its first request
// panics, as a nil map's write does); make one with New.
type Registry struct {
	cfg     Config
	mu      sync.Mutex
	sems    map[string]*sem
	holders map[Holder]*holder
}

type holder struct {
	gone   bool
	leases map[string]int64
}

// New returns a registry configured by cfg. Capacities must be positive.
func New(cfg Config) (*Registry, error) {
	r := &Registry{cfg: cfg, sems: make(map[string]*sem), holders: make(map[Holder]*holder)}
	for name, c := range cfg.Capacities {
		if name == "" {
			return nil, ErrEmptyName
		}
		if c < 1 {
			return nil, fmt.Errorf("%w: %q has capacity %d", ErrCapacity, name, c)
		}
		r.sems[name] = newSem(name, c, true)
	}
	return r, nil
}

// Request asks for weight permits of the named semaphore for holder h, and
// calls done exactly once with the answer: nil when the permits are h's; an
// error when the request is refused, h is released (ErrHolderGone) or the
// request is withdrawn (ErrWithdrawn). capacity is what the requester
// expects (0: whatever is configured); see the package doc for the rule.
//
// done runs on the goroutine that settles the request, never with the
// registry locked: this one when the answer is immediate, else the one
// whose Release, ReleaseAll or Withdraw frees the permits. It should not
// block for long, since that goroutine waits for it.
func (r *Registry) Request(h Holder, name string, weight, capacity int64, done func(error)) *Wait {
	w := &Wait{r: r, h: h, weight: weight, done: done, start: time.Now()}
	r.mu.Lock()
	err := r.enqueue(w, name, capacity)
	if err != nil {
		w.answered, w.err = true, err
	}
	answered, err := w.answered, w.err
	r.mu.Unlock()
	if answered {
		done(err)
	}
	return w
}

// enqueue checks w's request and queues it, or grants it at once if the
// permits are free and nobody waits before it. The caller holds r.mu.
func (r *Registry) enqueue(w *Wait, name string, capacity int64) error {
	if name == "" {
		return ErrEmptyName
	}
	hd := r.holder(w.h)
	if hd.gone {
		return fmt.Errorf("%w: %d", ErrHolderGone, w.h)
	}
	s, ok := r.sems[name]
	switch {
	case !ok && r.cfg.DeclaredOnly:
		return fmt.Errorf("%w: %q (declared: %v)", ErrUndeclared, name, r.names())
	case !ok && capacity < 1:
		return fmt.Errorf("%w: %q is not configured and the request names no capacity", ErrCapacity, name)
	case !ok:
		s = newSem(name, capacity, false)
		r.sems[name] = s
	case !s.configured && capacity != 0 && capacity != s.capacity:
		return fmt.Errorf("%w: %q has capacity %d, the request asks for %d", ErrCapacity, name, s.capacity, capacity)
	}
	if w.weight < 1 || w.weight > s.capacity {
		return fmt.Errorf("%w: weight %d for %q of capacity %d", ErrWeight, w.weight, name, s.capacity)
	}
	w.s = s
	s.queue = append(s.queue, w)
	r.admit(s, nil) // grants w alone, if anything: the front of a queue never fits
	return nil
}

// Acquire waits for weight permits of the named semaphore for holder h, in
// arrival order, until ctx is done or h is released: Request, waited for.
// A wait that ends without permits leaves none behind.
func (r *Registry) Acquire(ctx context.Context, h Holder, name string, weight, capacity int64) error {
	answer := make(chan error, 1)
	w := r.Request(h, name, weight, capacity, func(err error) { answer <- err })
	select {
	case err := <-answer:
		return err
	case <-ctx.Done():
	}
	w.Withdraw()
	if err := <-answer; err == nil { // granted as the wait gave up: give it back
		_ = r.Release(h, name, weight)
	}
	return ctx.Err()
}

// Release gives back weight permits of the named semaphore held by h, and
// grants them to the requests queued first, whose done functions run
// before Release returns.
func (r *Registry) Release(h Holder, name string, weight int64) error {
	r.mu.Lock()
	hd, ok := r.holders[h]
	switch {
	case ok && hd.gone:
		r.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrHolderGone, h)
	case weight < 1:
		r.mu.Unlock()
		return fmt.Errorf("%w: release of weight %d", ErrWeight, weight)
	case !ok || hd.leases[name] < weight:
		held := int64(0)
		if ok {
			held = hd.leases[name]
		}
		r.mu.Unlock()
		return fmt.Errorf("%w: %d of %q, holder %d holds %d", ErrOverRelease, weight, name, h, held)
	}
	s := r.sems[name]
	r.release(hd, h, s, weight)
	granted := r.admit(s, nil)
	r.mu.Unlock()
	answer(granted)
	return nil
}

// ReleaseAll releases every permit h holds and ends its queued requests
// (ErrHolderGone) at once; later requests of h fail the same way. It
// returns the number of permits released. Safe to call more than once.
func (r *Registry) ReleaseAll(h Holder) int64 {
	r.mu.Lock()
	hd := r.holder(h)
	hd.gone = true
	var settled []*Wait
	for _, s := range r.sems {
		for _, w := range s.queue {
			if w.h == h {
				settled = append(settled, w)
			}
		}
		s.queue = slices.DeleteFunc(s.queue, func(w *Wait) bool { return w.h == h })
	}
	for _, w := range settled {
		w.settle(fmt.Errorf("%w: %d", ErrHolderGone, h))
	}
	var n int64
	for name, weight := range hd.leases {
		r.release(hd, h, r.sems[name], weight)
		n += weight
	}
	for _, s := range r.sems {
		settled = r.admit(s, settled)
	}
	r.mu.Unlock()
	answer(settled)
	return n
}

func (r *Registry) holder(h Holder) *holder {
	hd, ok := r.holders[h]
	if !ok {
		hd = &holder{leases: make(map[string]int64)}
		r.holders[h] = hd
	}
	return hd
}

// release records weight permits of s as given back by h. The caller holds
// r.mu and then admits queued requests.
func (r *Registry) release(hd *holder, h Holder, s *sem, weight int64) {
	hd.leases[s.name] -= weight
	if hd.leases[s.name] == 0 {
		delete(hd.leases, s.name)
	}
	s.byHolder[h] -= weight
	if s.byHolder[h] == 0 {
		delete(s.byHolder, h)
	}
	s.inUse -= weight
}

// Stats returns a Stat per semaphore, sorted by name.
func (r *Registry) Stats() []Stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Stat, 0, len(r.sems))
	for _, s := range r.sems {
		st := s.stat
		st.Waiting = len(s.queue)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Stat) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (r *Registry) names() []string {
	names := make([]string, 0, len(r.sems))
	for n := range r.sems {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
