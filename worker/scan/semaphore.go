package scan

import (
	"context"
	"sync"
)

// Semaphores is what a worker provides to its scanners, through the job's
// context, to reach the run-wide semaphores the parent owns. Scanner code
// does not use it directly; it calls Semaphore.
type Semaphores interface {
	// Acquire waits for weight permits of the named semaphore; capacity is
	// what the caller expects (0: the parent's configuration decides).
	Acquire(ctx context.Context, name string, weight, capacity int64) error
	// Release gives weight permits back.
	Release(name string, weight int64) error
}

type semaphoresKey struct{}

// WithSemaphores returns ctx carrying s; the worker calls it for each job.
func WithSemaphores(ctx context.Context, s Semaphores) context.Context {
	return context.WithValue(ctx, semaphoresKey{}, s)
}

// Sem is a handle on one run-wide named semaphore: at most its capacity
// permits are held at once across every worker process of the run. Get
// one from Semaphore; a zero Sem refuses every Acquire with a TOOL_ERROR,
// as one outside a worker does.
type Sem struct {
	s        Semaphores
	name     string
	capacity int64
	mu       sync.Mutex
	held     int64
}

// Semaphore returns a handle on the run-wide semaphore name, for a scanner
// running in a forkscan worker (ctx is the job's context). capacity is the
// limit the scanner wants when the run has not configured one for name; a
// capacity configured by the program or the CLI (--limit) wins. Pass 0 to
// require one to be configured.
//
// A handle tracks the permits acquired through it: releasing more than that
// is an error. Acquire and Release may be called from several goroutines.
func Semaphore(ctx context.Context, name string, capacity int64) *Sem {
	s, _ := ctx.Value(semaphoresKey{}).(Semaphores)
	return &Sem{s: s, name: name, capacity: capacity}
}

// Acquire waits for weight permits, in arrival order across the whole run,
// until ctx is done. A wait that gives up leaves no permit behind. Errors:
// an INVALID_INPUT *Error for an empty name, a weight below 1 or above the
// capacity, a capacity in conflict with the semaphore's, or an undeclared
// name when the run requires declarations; ctx's error when it is done.
func (s *Sem) Acquire(ctx context.Context, weight int64) error {
	switch {
	case s.s == nil:
		return Errorf(ToolError, "semaphore %q: no semaphores here (not running in a forkscan worker)", s.name)
	case s.name == "":
		return Errorf(InvalidInput, "semaphore: empty name")
	case weight < 1:
		return Errorf(InvalidInput, "semaphore %q: weight %d, must be at least 1", s.name, weight)
	}
	if err := s.s.Acquire(ctx, s.name, weight, s.capacity); err != nil {
		return err
	}
	s.mu.Lock()
	s.held += weight
	s.mu.Unlock()
	return nil
}

// Release gives back weight permits acquired through this handle. Releasing
// more than the handle holds is an INVALID_INPUT *Error and releases nothing.
func (s *Sem) Release(weight int64) error {
	s.mu.Lock()
	if weight < 1 || weight > s.held {
		held := s.held
		s.mu.Unlock()
		return Errorf(InvalidInput, "semaphore %q: release of %d permits, %d held through this handle", s.name, weight, held)
	}
	s.held -= weight
	s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	return s.s.Release(s.name, weight)
}
