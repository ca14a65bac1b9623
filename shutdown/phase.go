package shutdown

import (
	"fmt"
	"strings"
	"time"
)

// Phase is a step of the stop. A process's Ended.By is the phase whose
// action ended it: Drain for one that stopped when asked, Term or Kill for
// one that needed the signal, Before for one gone before the stop began,
// NotEnded for one still there after Final.
type Phase int

// The phases, in the order they run.
const (
	NotEnded Phase = iota
	Before
	Signal
	Drain
	Term
	Kill
	Final
)

var phaseNames = [...]string{"not ended", "before", "signal", "drain", "term", "kill", "final"}

func (p Phase) String() string {
	if p < 0 || int(p) >= len(phaseNames) {
		return fmt.Sprintf("Phase(%d)", int(p))
	}
	return phaseNames[p]
}

// Timing is how long one phase took.
type Timing struct {
	Phase Phase
	Took  time.Duration
}

// Ended says how one process ended.
type Ended struct {
	PID int
	By  Phase
}

// Report is what a stop did: the phases it ran, in order, with their
// durations, and how each process ended, in the order given to Stop.
type Report struct {
	Phases    []Timing
	Processes []Ended
	// Hurried reports whether the context ended during the stop, so that
	// the polite phases left were skipped.
	Hurried bool
	// Took is the whole stop, from the first request to the end of Final.
	Took time.Duration
}

// Count returns how many processes were ended by phase p.
func (r Report) Count(p Phase) int {
	n := 0
	for _, e := range r.Processes {
		if e.By == p {
			n++
		}
	}
	return n
}

// String summarises the report in one line, as
// "stopped 8 processes in 41ms: 7 when asked, 1 by SIGTERM".
func (r Report) String() string {
	var parts []string
	for _, c := range []struct {
		p    Phase
		what string
	}{{Before, "already gone"}, {Drain, "when asked"}, {Term, "by SIGTERM"}, {Kill, "by SIGKILL"}, {NotEnded, "NOT ENDED"}} {
		if n := r.Count(c.p); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	s := fmt.Sprintf("stopped %d processes in %v", len(r.Processes), r.Took.Round(time.Millisecond))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if r.Hurried {
		s += " (hurried)"
	}
	return s
}
