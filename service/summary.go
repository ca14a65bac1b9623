package service

import (
	"bytes"
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/output"
)

// Summary is how a run of a scan ended, as fields a program reads: what
// the CLI's summary says in words (Scan.SummaryText), as `go test -json`
// is to go test's text. Counts of files, records and findings are of the
// whole scan, the records kept from its earlier runs included; the
// statuses, bytes, workers, retries and duration are of this run.
type Summary struct {
	State State  `json:"state"` // how the run ended: done, failed, cancelled or interrupted
	Unit  string `json:"unit"`  // what Files counts: "files", or "commits" for histories
	// Files the scan's records cover: Scanned by this run, and Kept, done
	// by an earlier one and not scanned again.
	Files    int   `json:"files"`
	Scanned  int   `json:"scanned"`
	Kept     int   `json:"kept"`
	Records  int   `json:"records"`  // of the whole scan: this run's and those kept
	Findings int   `json:"findings"` // in every record
	OK       int   `json:"ok"`       // this run's records by status
	Errors   int   `json:"errors"`
	Skipped  int   `json:"skipped"`
	Bytes    int64 `json:"bytes"`   // of the files this run scanned
	Ignored  int64 `json:"ignored"` // files and directories the filters left out
	// Workers is the run's pool of worker processes; WorkersReplaced
	// counts those started in place of one that ended early, Retries the
	// jobs sent again.
	Workers         int     `json:"workers"`
	WorkersReplaced int     `json:"workers_replaced"`
	Retries         int     `json:"retries"`
	DurationSec     float64 `json:"duration_seconds"` // of this run
	// Failures are the error records by category, each with the first's
	// message and what to do about it.
	Failures []SummaryFailure `json:"failures,omitempty"`
	// Interrupted, for a run stopped before its end, says how far it got.
	Interrupted *Cut `json:"interrupted,omitempty"`
}

// SummaryFailure is how many records failed with one category.
type SummaryFailure struct {
	Category    string `json:"category"`
	Count       int    `json:"count"`
	First       string `json:"first"` // the first one's message
	Remediation string `json:"remediation"`
}

// Cut is how far an interrupted run got, in Summary.Unit.
type Cut struct {
	Done       int `json:"done"`
	Failed     int `json:"failed"`
	CutShort   int `json:"cut_short"`
	NotStarted int `json:"not_started"`
}

// summaryOf is the fields of a run's summary, which ended in state.
func summaryOf(sum output.Summary, state State) *Summary {
	t := sum.Tally
	out := &Summary{State: state, Unit: cmp.Or(sum.Unit, "files"),
		Scanned: sum.Jobs + t.Files.Unscanned, Kept: sum.NotRescanned,
		Records: t.Records, Findings: t.Findings, OK: t.OK, Errors: t.Errors, Skipped: t.Skipped,
		Bytes: t.Bytes, Ignored: sum.Ignored, Workers: sum.Workers, WorkersReplaced: sum.Restarts, Retries: sum.Retries,
		DurationSec: sum.Took.Seconds()}
	out.Files = out.Scanned + out.Kept
	if r := sum.Resumed; r != nil {
		out.Records += r.Kept
		out.Findings += r.Findings
	}
	for _, c := range slices.Sorted(maps.Keys(t.Failures)) {
		f := t.Failures[c]
		out.Failures = append(out.Failures, SummaryFailure{Category: c.String(), Count: f.Count, First: f.First, Remediation: c.Remediation()})
	}
	if sum.Interrupted {
		cut := t.Files.Open
		out.Interrupted = &Cut{Done: t.Files.Done, Failed: t.Files.Failed, CutShort: cut,
			NotStarted: max(sum.Jobs-t.Files.Done-t.Files.Failed-cut, 0)}
	}
	return out
}

// summaryText is the CLI's summary of a run: its lines, without the
// "forkscan: " each begins with on a terminal.
func summaryText(sum output.Summary) string {
	var b bytes.Buffer
	sum.Print(&b)
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "forkscan: ")
	}
	return strings.Join(lines, "")
}
