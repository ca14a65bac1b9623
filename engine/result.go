package engine

import (
	"time"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/shutdown"
)

// Job is one file to scan.
type Job struct {
	// Root is the tree the file was found under; Path is the file's path
	// relative to it. A job with no Root names its file by Path alone
	// (absolute, or relative to the working directory). The worker opens
	// record.Join(Root, Path), and the scanners and the results see both
	// (scan.File, Result), so no layer has to take a path apart again.
	Root, Path string
	// Scanners, if not empty, restricts this job to some of the run's
	// scanners (to resume a run, say). A name not in Config.Scanners gets an
	// INVALID_INPUT error record.
	Scanners []string
	// Meta is carried to the job's results untouched (a display name, a
	// key of the caller's); the engine never looks at it.
	Meta any
}

// Status is how one (job, scanner) pair ended (record.Status).
type Status = record.Status

// The statuses.
const (
	StatusOK      = record.StatusOK      // the scanner ran; see Findings and Data
	StatusError   = record.StatusError   // the scanner or the parse step failed; see Error
	StatusSkipped = record.StatusSkipped // the file was not scanned; see Reason
)

// Result is the terminal record of one scanner on one job: the job's Root
// and Path, and what became of the scanner's work (see record.Record),
// with the job's Meta.
type Result struct {
	record.Record
	Meta any // the job's Meta
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
