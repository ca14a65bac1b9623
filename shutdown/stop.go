package shutdown

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// Process is one process being stopped.
type Process interface {
	// PID identifies the process in the report.
	PID() int
	// Stop asks the process, over its own protocol, to stop and end. It
	// must not block: it starts the request and returns.
	Stop()
	// Signal sends sig to the process. After the process has been reaped
	// it must do nothing (os.Process.Signal returns os.ErrProcessDone), so
	// that a recycled pid is never signalled.
	Signal(sig os.Signal) error
	// Done is closed once the process has exited and all it sent has been
	// read.
	Done() <-chan struct{}
}

// Config times the phases; zero means zero where it can (no grace, no
// wait after SIGTERM). The zero value stops at once: SIGTERM, then
// SIGKILL, then up to 1s for the processes to be reaped. (engine's
// DefaultConfig holds the timings forkscan runs with.)
type Config struct {
	// Grace is how long the processes have to end once asked (the Drain
	// phase). Zero: no Drain phase.
	Grace time.Duration
	// TermWait is how long the processes left have after SIGTERM before
	// SIGKILL. Zero: SIGKILL at once.
	TermWait time.Duration
	// KillWait bounds the wait, after SIGKILL, for the processes to be
	// reaped and their last output read (the Final phase). A process still
	// not done after it is reported as NotEnded. If zero, 1s.
	KillWait time.Duration
	// Logger receives one debug line per phase. If nil, slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.KillWait == 0 {
		c.KillWait = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Stop runs procs through the phases and reports what happened. It returns
// once every process is done, or after Final.
//
// When ctx ends before the polite phases are over (a second Ctrl-C), Stop
// skips what is left of them and goes straight to SIGKILL; the Final wait
// still runs, so that what the killed processes sent is read.
func Stop(ctx context.Context, cfg Config, procs []Process) Report {
	cfg = cfg.withDefaults()
	s := &stop{cfg: cfg, procs: procs, by: make([]Phase, len(procs)), begun: time.Now()}
	s.mark(Before)
	s.phase(Signal, func(p Process) { p.Stop() }, 0, nil)
	s.phase(Drain, nil, cfg.Grace, ctx.Done())
	s.phase(Term, s.send(syscall.SIGTERM), cfg.TermWait, ctx.Done())
	s.phase(Kill, s.send(syscall.SIGKILL), 0, nil)
	s.phase(Final, nil, cfg.KillWait, nil)
	s.report.Hurried = ctx.Err() != nil
	s.report.Took = time.Since(s.begun)
	for i, p := range procs {
		s.report.Processes = append(s.report.Processes, Ended{PID: p.PID(), By: s.by[i]})
	}
	return s.report
}

type stop struct {
	cfg     Config
	procs   []Process
	by      []Phase // how each ended; NotEnded while it has not
	begun   time.Time
	report  Report
	hurried bool // the context ended: no more waiting politely
}

// phase runs one phase: act on every process not yet done, then wait up
// to wait for all of them, or until hurry is closed. The processes done by
// the end of the wait are marked as ended by the acting phase (a kill's
// Final counts as Kill). A phase with nobody left is not run.
func (s *stop) phase(ph Phase, act func(Process), wait time.Duration, hurry <-chan struct{}) {
	left := s.left()
	polite := ph == Drain || ph == Term
	if len(left) == 0 || (polite && s.hurried) {
		return
	}
	begun := time.Now()
	if act != nil {
		for _, i := range left {
			act(s.procs[i])
		}
	}
	if wait > 0 && !s.waitAll(left, wait, hurry) && polite {
		s.hurried = true
	}
	by := ph
	if ph == Final {
		by = Kill
	}
	s.mark(by)
	took := time.Since(begun)
	s.report.Phases = append(s.report.Phases, Timing{Phase: ph, Took: took})
	s.cfg.Logger.Debug("shutdown phase", "phase", ph, "processes", len(left), "still_running", len(s.left()), "took", took)
}

// send returns an action that sends sig.
func (s *stop) send(sig os.Signal) func(Process) {
	return func(p Process) {
		if err := p.Signal(sig); err != nil {
			s.cfg.Logger.Debug("shutdown signal", "pid", p.PID(), "signal", sig, "error", err)
		}
	}
}

// left returns the indexes of the processes not yet marked as ended.
func (s *stop) left() []int {
	var out []int
	for i, by := range s.by {
		if by == NotEnded {
			out = append(out, i)
		}
	}
	return out
}

// mark records the processes done now as ended by ph.
func (s *stop) mark(ph Phase) {
	for _, i := range s.left() {
		select {
		case <-s.procs[i].Done():
			s.by[i] = ph
		default:
		}
	}
}

// waitAll waits up to d for the processes at idx to be done. It returns
// false if hurry was closed first; true otherwise, whether or not they are.
func (s *stop) waitAll(idx []int, d time.Duration, hurry <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for _, i := range idx {
		select {
		case <-s.procs[i].Done():
		case <-t.C:
			return true
		case <-hurry:
			return false
		}
	}
	return true
}
