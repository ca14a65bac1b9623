package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// signals turns SIGINT and SIGTERM into the stop of a run: the first
// cancels the run's context (the phased stop), a second calls the
// function given to onSecond (SIGKILL for the workers). Each says so in one
// line on stderr.
type signals struct {
	ch     chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup

	caught atomic.Bool // a signal came

	mu     sync.Mutex
	second func()
	fired  bool // a second signal came before onSecond
}

func catchSignals(ctx context.Context, stderr io.Writer, grace time.Duration) (context.Context, *signals) {
	ctx, cancel := context.WithCancel(ctx)
	s := &signals{ch: make(chan os.Signal, 2), cancel: cancel, done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	s.wg.Go(func() {
		select {
		case sig := <-s.ch:
			s.caught.Store(true)
			fmt.Fprintf(stderr, "forkscan: %v: stopping; workers have %v to hand in their results (press Ctrl-C again to kill them now)\n", sig, grace)
			cancel()
		case <-s.done:
			return
		}
		select {
		case sig := <-s.ch:
			fmt.Fprintf(stderr, "forkscan: %v again: killing the workers\n", sig)
			s.fire()
		case <-s.done:
		}
	})
	return ctx, s
}

// onSecond sets what a second signal does; if one came already, fn runs now.
func (s *signals) onSecond(fn func()) {
	s.mu.Lock()
	s.second = fn
	fired := s.fired
	s.mu.Unlock()
	if fired {
		fn()
	}
}

func (s *signals) fire() {
	s.mu.Lock()
	s.fired = true
	fn := s.second
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// stop stops catching signals: from now on they have their usual effect,
// unless one came. Then forkscan is on its way out with exit code 130, and
// a Ctrl-C pressed again meanwhile is ignored instead of killing it.
func (s *signals) stop() {
	close(s.done)
	s.wg.Wait()
	if s.caught.Load() {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
	}
	signal.Stop(s.ch)
	s.cancel()
}
