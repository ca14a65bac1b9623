package semregistry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Errors a caller tells apart with errors.Is.
var (
	ErrEmptyName   = errors.New("semregistry: empty semaphore name")
	ErrWeight      = errors.New("semregistry: weight must be at least 1 and at most the capacity")
	ErrCapacity    = errors.New("semregistry: capacity missing or different from the semaphore's")
	ErrUndeclared  = errors.New("semregistry: semaphore not declared")
	ErrOverRelease = errors.New("semregistry: release of more permits than held")
	ErrHolderGone  = errors.New("semregistry: holder was released")
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

// Holder identifies who holds permits: the engine uses one per worker.
type Holder uint64

// Registry is a set of named semaphores with per-holder leases. It is safe
// for concurrent use.
type Registry struct {
	cfg     Config
	mu      sync.Mutex
	sems    map[string]*sem
	holders map[Holder]*holder
}

type sem struct {
	name       string
	capacity   int64
	configured bool
	w          *semaphore.Weighted
	inUse      int64
	byHolder   map[Holder]int64
	stat       Stat
}

type holder struct {
	gone   bool
	ctx    context.Context // cancelled when the holder is released: its waits end
	cancel context.CancelFunc
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

func newSem(name string, capacity int64, configured bool) *sem {
	return &sem{name: name, capacity: capacity, configured: configured, w: semaphore.NewWeighted(capacity),
		byHolder: make(map[Holder]int64), stat: Stat{Name: name, Capacity: capacity}}
}

// Acquire waits for weight permits of the named semaphore for holder h, in
// arrival order, until ctx is done or h is released. capacity is what the
// requester expects (0: whatever is configured); see the package doc for the
// rule. A wait that ends without permits leaves none behind.
func (r *Registry) Acquire(ctx context.Context, h Holder, name string, weight, capacity int64) error {
	s, hd, err := r.prepare(h, name, weight, capacity)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(hd.ctx, cancel)()
	start := time.Now()
	err = s.w.Acquire(ctx, weight)
	r.mu.Lock()
	defer r.mu.Unlock()
	s.stat.Waiting--
	s.stat.Wait += time.Since(start)
	switch {
	case err != nil && hd.ctx.Err() != nil:
		return fmt.Errorf("%w: %d", ErrHolderGone, h)
	case err != nil:
		return err
	case hd.gone: // released while the permits were on their way
		s.w.Release(weight)
		return fmt.Errorf("%w: %d", ErrHolderGone, h)
	}
	r.lease(s, hd, h, weight)
	return nil
}

// TryAcquire is Acquire without the wait: it takes the permits only if
// they are free now and nobody is queued before it (arrival order holds).
// It reports whether it took them; a refused request is an error.
func (r *Registry) TryAcquire(h Holder, name string, weight, capacity int64) (bool, error) {
	s, hd, err := r.prepare(h, name, weight, capacity)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.stat.Waiting--
	if !s.w.TryAcquire(weight) {
		return false, nil
	}
	r.lease(s, hd, h, weight)
	return true, nil
}

// lease records weight permits of s as held by h. The caller holds r.mu.
func (r *Registry) lease(s *sem, hd *holder, h Holder, weight int64) {
	s.stat.Acquires++
	hd.leases[s.name] += weight
	s.byHolder[h] += weight
	s.inUse += weight
	s.stat.PeakInUse = max(s.stat.PeakInUse, s.inUse)
	s.stat.PeakHolders = max(s.stat.PeakHolders, len(s.byHolder))
}

// prepare checks a request, finds (or creates) its semaphore and holder,
// and counts the request as waiting.
func (r *Registry) prepare(h Holder, name string, weight, capacity int64) (*sem, *holder, error) {
	if name == "" {
		return nil, nil, ErrEmptyName
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	hd := r.holder(h)
	if hd.gone {
		return nil, nil, fmt.Errorf("%w: %d", ErrHolderGone, h)
	}
	s, ok := r.sems[name]
	switch {
	case !ok && r.cfg.DeclaredOnly:
		return nil, nil, fmt.Errorf("%w: %q (declared: %v)", ErrUndeclared, name, r.names())
	case !ok && capacity < 1:
		return nil, nil, fmt.Errorf("%w: %q is not configured and the request names no capacity", ErrCapacity, name)
	case !ok:
		s = newSem(name, capacity, false)
		r.sems[name] = s
	case !s.configured && capacity != 0 && capacity != s.capacity:
		return nil, nil, fmt.Errorf("%w: %q has capacity %d, the request asks for %d", ErrCapacity, name, s.capacity, capacity)
	}
	if weight < 1 || weight > s.capacity {
		return nil, nil, fmt.Errorf("%w: weight %d for %q of capacity %d", ErrWeight, weight, name, s.capacity)
	}
	s.stat.Waiting++ // until Acquire has its answer
	return s, hd, nil
}

func (r *Registry) holder(h Holder) *holder {
	hd, ok := r.holders[h]
	if !ok {
		ctx, cancel := context.WithCancel(context.Background())
		hd = &holder{ctx: ctx, cancel: cancel, leases: make(map[string]int64)}
		r.holders[h] = hd
	}
	return hd
}

// Release gives back weight permits of the named semaphore held by h.
func (r *Registry) Release(h Holder, name string, weight int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	hd, ok := r.holders[h]
	if ok && hd.gone {
		return fmt.Errorf("%w: %d", ErrHolderGone, h)
	}
	if weight < 1 {
		return fmt.Errorf("%w: release of weight %d", ErrWeight, weight)
	}
	if !ok || hd.leases[name] < weight {
		held := int64(0)
		if ok {
			held = hd.leases[name]
		}
		return fmt.Errorf("%w: %d of %q, holder %d holds %d", ErrOverRelease, weight, name, h, held)
	}
	r.release(hd, h, r.sems[name], weight)
	return nil
}

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
	s.w.Release(weight)
}

// ReleaseAll releases every permit h holds and ends its waiting requests,
// at once; later requests of h fail with ErrHolderGone. It returns the
// number of permits released. Safe to call more than once.
func (r *Registry) ReleaseAll(h Holder) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	hd := r.holder(h)
	hd.gone = true
	hd.cancel()
	var n int64
	for name, w := range hd.leases {
		r.release(hd, h, r.sems[name], w)
		n += w
	}
	return n
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

// Stats returns a Stat per semaphore, sorted by name.
func (r *Registry) Stats() []Stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Stat, 0, len(r.sems))
	for _, s := range r.sems {
		out = append(out, s.stat)
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
