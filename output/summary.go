package output

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/semregistry"
)

// Summary is what the lines at the end of a scan say: the Tally of its
// Writer and what the caller knows of the run.
type Summary struct {
	Tally     Tally
	Jobs      int  // files sent to be scanned
	Workers   int  // worker processes, or goroutines when InProcess
	InProcess bool // the workers ran in the scanning process
	Merged    int  // shards merged, for a merge (then Workers is 0)
	Took      time.Duration
	Ignored   int64 // entries the walk's filter left out (tree.Counts)
	// Resumed, if set, is what resuming an earlier output kept and
	// dropped; NotRescanned counts the files it had done completely.
	Resumed      *resume.Report
	NotRescanned int
	Restarts     int // workers replaced
	Retries      int // jobs run again
	// Interrupted says the run was stopped before its end; Stopped then
	// says how its workers were (shutdown.Report's text), if it had any.
	Interrupted bool
	Stopped     string
	Semaphores  []semregistry.Stat
	// Shard, if set, says what part of a tree the scan was (a line of its
	// own).
	Shard string
	// Unit is what the jobs were, in the plural: "files" if empty,
	// "commits" for a history.
	Unit string
	// NotFor counts the files a scanner did not take and so did not
	// record (scanrun.Filter): "15003 files not for shellcheck".
	NotFor []NotFor
	// CarryOn, if set, says after an interrupt how to carry the run on:
	// the command, or what one needs (a line of its own).
	CarryOn string
}

// NotFor is a count of files a scanner did not take, and what they were
// not for (an exec tool's name).
type NotFor struct {
	What  string
	Files int
}

func (s Summary) unit() string {
	if s.Unit == "" {
		return "files"
	}
	return s.Unit
}

// Print writes the summary, a line per topic, each beginning "forkscan: ".
// The first counts what the output holds: for a resumed run, the records
// it kept and this run's together, the next line this run's alone.
func (s Summary) Print(w io.Writer) {
	t := s.Tally
	mode := count(s.Workers, "worker process", "worker processes")
	switch {
	case s.Merged > 0:
		mode = "merged from " + count(s.Merged, "shard", "shards")
	case s.InProcess:
		mode = count(s.Workers, "in-process worker", "in-process workers")
	}
	files := s.Jobs + t.Files.Unscanned
	if r := s.Resumed; r != nil {
		fmt.Fprintf(w, "forkscan: %s holds %s (%d kept, %d new)\n",
			r.From, s.counts(files+s.NotRescanned, t.Records+r.Kept, t.OK+r.Kept, t.Findings+r.Findings), r.Kept, t.Records)
		fmt.Fprintf(w, "forkscan: this run: %s; %s; %s\n", s.counts(files, t.Records, t.OK, t.Findings), mode, s.Took.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "forkscan: %s; %s; %s\n", s.counts(files, t.Records, t.OK, t.Findings), mode, s.Took.Round(time.Millisecond))
	}
	if s.Shard != "" {
		fmt.Fprintf(w, "forkscan: %s\n", s.Shard)
	}
	for _, c := range slices.Sorted(maps.Keys(t.Failures)) {
		f := t.Failures[c]
		fmt.Fprintf(w, "forkscan: %s failed with %s: %s (%s)\n", count(f.Count, "record", "records"), c.String(), f.First, c.Remediation())
	}
	for _, n := range s.NotFor {
		if n.Files == 0 {
			continue
		}
		fmt.Fprintf(w, "forkscan: %s not for %s (no record for them)\n", count(n.Files, "file", "files"), n.What)
	}
	if s.Ignored > 0 {
		fmt.Fprintf(w, "forkscan: left out %s (.gitignore, --include, --exclude; --no-ignore scans what .gitignore ignores)\n", count(int(s.Ignored), "file or directory", "files and directories"))
	}
	if r := s.Resumed; r != nil {
		fmt.Fprintf(w, "forkscan: resumed from %s: kept %s of %s (%s not scanned again, %s), dropped %s to redo, ignored %s that were not records\n",
			r.From, count(r.Kept, "record", "records"), s.units(r.Files), s.units(s.NotRescanned), count(r.Findings, "finding", "findings"),
			count(r.Dropped, "record", "records"), count(r.Garbage, "line", "lines"))
	}
	if s.Restarts > 0 || s.Retries > 0 {
		fmt.Fprintf(w, "forkscan: %s replaced, %s retried\n", count(s.Restarts, "worker", "workers"), count(s.Retries, "job", "jobs"))
	}
	if s.Interrupted {
		s.printInterrupted(w)
	}
	for _, sem := range s.Semaphores {
		fmt.Fprintf(w, "forkscan: semaphore %s: capacity %d, peak %d in use by %d workers, %d acquires, waited %s\n",
			sem.Name, sem.Capacity, sem.PeakInUse, sem.PeakHolders, sem.Acquires, sem.Wait.Round(time.Millisecond))
	}
}

// printInterrupted says what an interrupt left, and how to carry on.
func (s Summary) printInterrupted(w io.Writer) {
	t := s.Tally
	cut := t.Files.Open
	notStarted := max(s.Jobs-t.Files.Done-t.Files.Failed-cut, 0)
	fmt.Fprintf(w, "forkscan: interrupted: %s done, %d failed, %d cut short, %d not started (and the walk stopped where it was)\n",
		s.units(t.Files.Done), t.Files.Failed, cut, notStarted)
	if s.Stopped != "" {
		fmt.Fprintf(w, "forkscan: workers %s\n", s.Stopped)
	}
	if s.CarryOn != "" {
		fmt.Fprintf(w, "forkscan: %s\n", s.CarryOn)
	}
}

// counts is the first line's count of files, records and findings.
func (s Summary) counts(files, records, ok, findings int) string {
	t := s.Tally
	return fmt.Sprintf("%s, %s (%d ok, %d error, %d skipped), %s",
		s.units(files), count(records, "result", "results"), ok, t.Errors, t.Skipped, count(findings, "finding", "findings"))
}

// units counts n of the run's unit: "1 file", "2 commits".
func (s Summary) units(n int) string {
	many := s.unit()
	return count(n, strings.TrimSuffix(many, "s"), many)
}

// count is n and the noun for n: "1 file", "0 files", "2 files".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
