package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/forkscan/forkscan/ipc"
	"github.com/forkscan/forkscan/worker/scan"
)

// Errors a caller may need to tell apart. Match them with errors.Is.
var (
	// ErrConfig is wrapped by every configuration error from Start.
	ErrConfig = errors.New("engine: invalid configuration")
	// ErrUnknownScanner is a configuration error naming an unregistered scanner.
	ErrUnknownScanner = fmt.Errorf("%w: unknown scanner", ErrConfig)
	// ErrWorkerStart is wrapped by Start's error when no worker could be
	// started: a failure that would repeat on every try (see Start), or
	// none ready for Config.LostAfter. It also wraps ipc.ErrHandshake when
	// the handshake failed, and the worker's *scan.Error when its scanners
	// could not be built.
	ErrWorkerStart = errors.New("engine: worker failed to start")
	// ErrHandshake is ipc.ErrHandshake, re-exported for callers of engine.
	ErrHandshake = ipc.ErrHandshake
	// ErrAllWorkersLost is wrapped by Wait's error (or Start's) when no
	// worker of the pool could run for Config.LostAfter while jobs were
	// left; those jobs were recorded as PROCESS_CRASH errors. The error
	// says what the last worker died of.
	ErrAllWorkersLost = errors.New("engine: every worker was lost")
)

// errStartTimeout is the cause of a start that took longer than
// StartTimeout; errNotAWorker of a worker that answered Configure with
// something other than Ready.
var (
	errStartTimeout = errors.New("start timed out")
	errNotAWorker   = errors.New("the program does not speak the worker protocol")
)

// refused is a worker's ConfigureFailed: it cannot build its scanners.
type refused struct{ err *scan.Error }

func (e *refused) Error() string { return "it could not set up its scanners: " + e.err.Error() }
func (e *refused) Unwrap() error { return e.err }

// startError is a worker that did not become ready: which, why, and what
// it said on its way out.
type startError struct {
	slot   int
	pid    int
	exit   string // how the process ended, if it had
	stderr string // the end of its stderr
	err    error
}

func (r *Run) startError(p *proc, err error) *startError {
	e := &startError{slot: p.slot, pid: p.pid, err: err, stderr: p.stderr.crash(8)}
	var se *ipc.StartError
	switch {
	case p.exit != nil:
		e.exit = p.exit()
	case errors.As(err, &se):
		e.exit = se.Exit
	}
	return e
}

func (e *startError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "worker %d", e.slot)
	if e.pid != 0 {
		fmt.Fprintf(&b, " (pid %d)", e.pid)
	}
	fmt.Fprintf(&b, ": %v", e.err)
	if e.exit != "" && !strings.Contains(e.err.Error(), e.exit) && !errors.As(e.err, new(*refused)) {
		fmt.Fprintf(&b, " (%s)", e.exit)
	}
	if e.stderr != "" {
		fmt.Fprintf(&b, "; its stderr ended with:\n%s", e.stderr)
	}
	return b.String()
}

func (e *startError) Unwrap() error { return e.err }

// permanent reports whether the same start would fail again however often
// it was tried: the program cannot be run or does not speak the protocol,
// or the worker could not build its scanners.
func (e *startError) permanent() bool {
	var se *ipc.StartError
	var rf *refused
	return errors.As(e.err, &rf) || errors.Is(e.err, errNotAWorker) || (errors.As(e.err, &se) && se.Permanent())
}

// exited reports whether the worker ended by itself with an exit status
// before it was ready (it was not killed).
func (e *startError) exited() bool { return strings.HasPrefix(e.exit, "exit status") }
