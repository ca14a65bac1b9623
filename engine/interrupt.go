package engine

import (
	"context"
	"errors"
	"os"
	"slices"

	"github.com/forkscan/forkscan/shutdown"
)

// errNotAProcess is what signalling an in-process worker returns: there is
// no process to signal, and the stop waits for its goroutines instead.
var errNotAProcess = errors.New("engine: an in-process worker cannot be signalled")

// errNoMoreWork ends the starts of a run that needs no more workers.
var errNoMoreWork = errors.New("engine: the run needs no more workers")

// watch stops every worker's sender once there is nothing left to send:
// all jobs are terminal (each worker is told to drain), or the run was
// interrupted (the workers are stopped in phases, see package shutdown).
func (r *Run) watch() {
	select {
	case <-r.drained:
	case <-r.ctx.Done():
	}
	r.stopStarting(errNoMoreWork) // a worker still starting holds no job: it is killed
	if r.ctx.Err() == nil {       // an interrupt that ended the source early is still an interrupt
		for _, p := range r.close() {
			p.stop()
		}
		return
	}
	r.stopErr = context.Cause(r.ctx)
	r.log.Debug("run interrupted", "cause", r.stopErr)
	var members []shutdown.Process
	for _, p := range r.close() {
		members = append(members, member{p, r.hurry})
	}
	rep := shutdown.Stop(r.hurry, shutdown.Config{Grace: r.cfg.Grace, TermWait: r.cfg.TermWait, KillWait: r.cfg.KillWait, Logger: r.log}, members)
	r.log.Debug("run stopped", "report", rep.String())
	r.stopReport = rep
}

// close marks the run over, so that no worker starts from now on, and
// returns the workers there are.
func (r *Run) close() []*proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over = true
	return r.currentLocked()
}

// currentLocked returns the workers on their slots now; r.mu is held.
func (r *Run) currentLocked() []*proc {
	return slices.DeleteFunc(slices.Clone(r.current), func(p *proc) bool { return p == nil })
}

// currentProcs returns the workers on their slots now.
func (r *Run) currentProcs() []*proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.currentLocked()
}

// Kill ends the run at once, as a second Ctrl-C does in the CLI: it
// interrupts the run if it was not, and the workers still running are
// SIGKILLed without waiting for the rest of the grace period. Results the
// parent has already read are still delivered. Safe to call at any time,
// more than once.
func (r *Run) Kill() {
	r.hurryNow()
	r.cancel(nil)
}

// member is a worker as package shutdown sees it.
type member struct {
	p     *proc
	hurry context.Context
}

func (m member) PID() int { return m.p.pid }

// Stop makes the sender send Shutdown. A worker process of a run killed
// before its stop began is not asked: it is killed without a chance to
// slip out politely. An in-process worker is always asked, as nothing else
// can stop it.
func (m member) Stop() {
	if m.p.killFn == nil || m.hurry.Err() == nil {
		m.p.stop()
	}
}

func (m member) Signal(sig os.Signal) error { return m.p.signal(sig) }
func (m member) Done() <-chan struct{}      { return m.p.gone }
