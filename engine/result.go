package engine

import (
	"encoding/json"
	"time"

	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/shutdown"
	"github.com/forkscan/forkscan/worker/scan"
)

// Job is one item to scan.
type Job struct {
	// Path is the file to read.
	Path string
	// Scanners, if not empty, restricts this job to some of the run's
	// scanners (to resume a run, say). A name not in Config.Scanners gets an
	// INVALID_INPUT error record.
	Scanners []string
	// Meta is carried to the job's results untouched (a display name, a
	// key of the caller's); the engine never looks at it.
	Meta any
}

// Status is how one (job, scanner) pair ended.
type Status uint8

// The statuses.
const (
	StatusOK      Status = iota + 1 // the scanner ran; see Findings and Data
	StatusError                     // the scanner or the parse step failed; see Err
	StatusSkipped                   // the file was not scanned; see Reason
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	case StatusSkipped:
		return "skipped"
	}
	return "unknown"
}

// Result is the terminal record of one scanner on one job.
type Result struct {
	Path      string
	Meta      any // the job's Meta
	Scanner   string
	Status    Status
	Findings  []scan.Finding
	Data      json.RawMessage // the scanner's facts, as JSON; nil if none
	Err       *scan.Error     // set when Status is StatusError
	Reason    string          // set when Status is StatusSkipped
	Attempts  int             // how many times the job was sent to a worker
	WorkerPID int             // the process that produced the result; 0 if none did
	SHA256    []byte          // of the content the scanner saw; nil if it read none
}

// Stats describes a finished run.
type Stats struct {
	Jobs          int                // jobs taken from the source
	Results       int                // results delivered
	OK            int                // results with StatusOK
	Errors        int                // results with StatusError
	Skipped       int                // results with StatusSkipped
	Findings      int                // findings over all results
	Unfinished    int                // jobs with no result for some scanner (interrupted runs)
	Restarts      int                // workers started to replace one that ended early
	Respawn       time.Duration      // summed over Restarts: from a worker's end until its replacement was ready
	Retries       int                // jobs sent again after a failure or a worker's death
	Workers       []WorkerStats      // one per worker started, replacements included
	Semaphores    []semregistry.Stat // one per named semaphore used or declared
	StartTime     time.Duration      // from Start until every slot of the pool had a worker ready; 0 if the jobs never called for some slot
	StartFailures int                // workers that did not become ready (each replaced, or the run ended)
	Duration      time.Duration      // from Start until the last worker ended
	Stop          shutdown.Report    // for an interrupted run: how its workers were stopped
}

// WorkerStats describes one worker of a run.
type WorkerStats struct {
	PID      int
	JobsDone uint64        // jobs it completed, as it last reported
	RSSBytes uint64        // resident memory, as it last reported
	Lost     bool          // it died, was killed or broke its stream before completing
	Killed   string        // the category the parent killed it for (TIMEOUT, RESOURCE_LIMIT), if it did
	Exit     string        // how the process ended, such as "exit status 0" or "signal: killed"; "" in-process
	Start    time.Duration // from its spawn until it was ready (handshake, Configure, scanners built)
}

// Progress is how far a run has got, read while it goes on (Run.Progress).
type Progress struct {
	Jobs     int // jobs taken from the source so far
	Done     int // jobs that have ended: every scanner's result delivered
	Results  int // results delivered
	Errors   int // results with StatusError
	Findings int // findings over all results
	Restarts int // workers started to replace one that ended early
	Retries  int // jobs sent again after a failure or a worker's death
	Workers  int // workers ready and serving now
}
