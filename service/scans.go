package service

import (
	"encoding/json"
	"errors"
	"time"
)

// State is where a scan is in its life.
type State string

// The states of a scan. queued → running → done | failed | cancelled;
// a server stopped under a running scan leaves it interrupted, and the
// next start of the server carries on with it (and with the queued ones).
const (
	Queued      State = "queued"
	Running     State = "running"
	Done        State = "done"
	Failed      State = "failed"
	Cancelled   State = "cancelled"
	Interrupted State = "interrupted"
)

// States lists every state, in the order of a scan's life.
var States = []State{Queued, Running, Done, Failed, Cancelled, Interrupted}

// Ended reports whether a scan in state s has ended for good.
func (s State) Ended() bool { return s == Done || s == Failed || s == Cancelled }

// Running reports whether a scan in state s is on its way: queued or
// running (an interrupted one waits for the server's next start).
func (s State) Running() bool { return s == Queued || s == Running }

// Errors of the service's operations, each answered with its HTTP status.
var (
	ErrNoScan     = errors.New("service: no such scan")                                  // 404
	ErrBadRequest = errors.New("service: bad request")                                   // 400
	ErrForbidden  = errors.New("service: path outside the roots the server may scan")    // 403
	ErrRemote     = errors.New("service: a remote the server may not clone")             // 403
	ErrQueueFull  = errors.New("service: too many scans waiting; try again later")       // 429
	ErrConflict   = errors.New("service: the scan is not in a state that allows this")   // 409
	ErrStopping   = errors.New("service: the server is stopping and takes no new scans") // 503
)

// Errors that say why a scan failed or the server is not ready; they
// reach a client as text (Scan.Error, /readyz).
var (
	// ErrTooManyStops ends a scan that the server stopped under (was
	// killed, crashed) more often than Config.MaxCarryOns allows.
	ErrTooManyStops = errors.New("service: the server stopped under this scan too often")
	// ErrEndNotWritten is the database refusing the end of a scan: the
	// server answers it from memory and writes it later (see
	// Config.MaxCarryOns on what the next start does with it).
	ErrEndNotWritten = errors.New("service: the database did not take the end of a scan")
)

// Request is what a client asks to scan. It names scanners and tools;
// it never carries a command line: tools are presets or tools the
// server's own configuration defines.
type Request struct {
	Paths []string `json:"paths,omitempty"`
	// Repositories, instead of Paths, are git repositories whose history
	// the scan reads (as forkscan git): each a path inside a root, or a
	// remote URL the server allows (Config.GitRemotes).
	Repositories []Repository `json:"repositories,omitempty"`
	Scanners     []string     `json:"scanners,omitempty"` // default: the server's
	Tools        []string     `json:"tools,omitempty"`    // exec tools by name
	Include      []string     `json:"include,omitempty"`  // doublestar globs, as --include
	Exclude      []string     `json:"exclude,omitempty"`
}

// Repository is a git repository a request scans the history of.
type Repository struct {
	// Path is a repository inside one of the server's roots; URL, instead,
	// a remote the server clones for the scan (and removes after it).
	Path string `json:"path,omitempty"`
	URL  string `json:"url,omitempty"`
	// Revisions are git revision arguments saying which commits, as
	// forkscan git --log-opts takes them ("main~100..main"); empty: every
	// commit of every ref.
	Revisions string `json:"revisions,omitempty"`
}

// RepositoryProgress is how far a scan has got in one repository.
type RepositoryProgress struct {
	Repository string `json:"repository"` // its path, or its URL
	// Commits are the jobs listed so far (a commit, or a part of a huge
	// one), Listed says the listing has ended, and Done counts those
	// scanned.
	Commits int64 `json:"commits"`
	Listed  bool  `json:"listed"`
	Done    int64 `json:"commits_done"`
	// Scanning are the commits being scanned now.
	Scanning []string `json:"scanning,omitempty"`
}

// Scan is a scan as the API shows it. Its times are RFC 3339, in UTC.
type Scan struct {
	ID      string     `json:"id"`
	State   State      `json:"state"`
	Request Request    `json:"request"`
	Created time.Time  `json:"created"`
	Started *time.Time `json:"started,omitempty"` // when its first run began; none while it is queued
	Ended   *time.Time `json:"ended,omitempty"`   // when it ended for good
	// DurationSec is from Started to Ended, or to now while it runs: what
	// Duration says, filled in when the scan is written as JSON.
	DurationSec float64  `json:"duration_seconds"`
	Resumes     int      `json:"resumes"`         // times the scan was carried on after the server stopped under it
	Crashes     int      `json:"crashes"`         // times the server stopped under it uncleanly (killed, crashed); see Config.MaxCarryOns
	Error       string   `json:"error,omitempty"` // why it failed
	Progress    Progress `json:"progress"`
	Workers     []Worker `json:"workers,omitempty"` // while it runs
	// Summary is how its last run ended, as fields, and SummaryText the
	// same in the CLI's words; neither while a run is on its way.
	Summary     *Summary `json:"summary,omitempty"`
	SummaryText string   `json:"summary_text,omitempty"`
}

// Duration is how long the scan has taken: from its start to its end, or
// to now while it runs (a scan the server stopped under counts the time
// it waited to be carried on); zero if it never started or has no end
// yet and is not running.
func (sc *Scan) Duration() time.Duration {
	switch {
	case sc.Started == nil:
		return 0
	case sc.Ended != nil:
		return sc.Ended.Sub(*sc.Started)
	case sc.State == Running:
		return time.Since(*sc.Started)
	}
	return 0
}

// MarshalJSON writes the scan with its times in UTC and its duration.
func (sc Scan) MarshalJSON() ([]byte, error) {
	type plain Scan // without this method
	p := plain(sc)
	p.DurationSec = sc.Duration().Seconds()
	p.Created = p.Created.UTC()
	p.Started, p.Ended = utc(p.Started), utc(p.Ended)
	return json.Marshal(p)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Progress is how far a scan has got. Counts are of this server's runs
// of the scan, what earlier runs had done included.
type Progress struct {
	FilesFound    int64 `json:"files_found"`
	WalkEnded     bool  `json:"walk_ended"`
	FilesDone     int   `json:"files_done"`
	FilesKept     int64 `json:"files_kept"`          // done by an earlier run of the scan, not scanned again
	FilesNotFor   int64 `json:"files_not_for_tools"` // taken by no scanner left to run: a --tool's other files (scanrun.Filter), not scanned, no record
	Bytes         int64 `json:"bytes"`
	Records       int   `json:"records"`
	Findings      int   `json:"findings"`
	Errors        int   `json:"errors"`
	Retries       int   `json:"retries"`
	WorkersLost   int   `json:"workers_replaced"`
	WorkersServed int   `json:"workers"`
	// Repositories is the progress in each repository of a scan of
	// histories.
	Repositories []RepositoryProgress `json:"repositories,omitempty"`
}

// Worker is a worker process of a running scan.
type Worker struct {
	Scan       string       `json:"scan,omitempty"` // the scan it serves (in /v1/stats)
	PID        int          `json:"pid"`
	RSSBytes   int64        `json:"rss_bytes"`
	CPUSeconds float64      `json:"cpu_seconds"`
	Threads    int          `json:"threads"`
	Files      []WorkerFile `json:"files,omitempty"` // being scanned now
}

// WorkerFile is a file a worker is scanning, named as records name it:
// its path relative to its root.
type WorkerFile struct {
	Root string `json:"root"`
	Path string `json:"path"`
}
