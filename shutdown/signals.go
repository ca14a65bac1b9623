package shutdown

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// Signals turns SIGINT and SIGTERM into the stop of a run, as a person at
// a terminal expects of Ctrl-C: the first cancels the context Catch
// returned (the run's phased stop begins), a second calls the function
// given to OnSecond (for a run, its Kill: straight to SIGKILL). Make one
// with Catch; the zero value is not usable.
type Signals struct {
	ch     chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup

	caught atomic.Bool // a signal came

	mu     sync.Mutex
	second func()
	fired  bool // a second signal came before OnSecond
}

// Catch catches SIGINT and SIGTERM until Stop, and returns a context that
// the first of them cancels. notify, if not nil, is told of each signal,
// with again false for the first and true for the second, before its
// effect: the place to say so to the person who pressed Ctrl-C.
func Catch(ctx context.Context, notify func(sig os.Signal, again bool)) (context.Context, *Signals) {
	ctx, cancel := context.WithCancel(ctx)
	s := &Signals{ch: make(chan os.Signal, 2), cancel: cancel, done: make(chan struct{})}
	if notify == nil {
		notify = func(os.Signal, bool) {}
	}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	s.wg.Go(func() {
		select {
		case sig := <-s.ch:
			s.caught.Store(true)
			notify(sig, false)
			cancel()
		case <-s.done:
			return
		}
		select {
		case sig := <-s.ch:
			notify(sig, true)
			s.fire()
		case <-s.done:
		}
	})
	return ctx, s
}

// OnSecond sets what a second signal does; if one came already, fn runs
// now.
func (s *Signals) OnSecond(fn func()) {
	s.mu.Lock()
	s.second = fn
	fired := s.fired
	s.mu.Unlock()
	if fired {
		fn()
	}
}

func (s *Signals) fire() {
	s.mu.Lock()
	s.fired = true
	fn := s.second
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// Stop stops catching signals: from now on they have their usual effect,
// unless one came. Then the program is on its way out after an interrupt,
// and a Ctrl-C pressed again meanwhile is ignored instead of killing it
// half-way through writing what it has.
func (s *Signals) Stop() {
	close(s.done)
	s.wg.Wait()
	if s.caught.Load() {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
	}
	signal.Stop(s.ch)
	s.cancel()
}
