package output

import (
	"fmt"
	"io"
	"maps"
	"slices"
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
	// Unit is what the jobs were: "files" if empty, "commits" for a
	// history.
	Unit string
	// NotFor counts the files a scanner did not take and so did not
	// record (scanrun.Filter): "15003 files not for shellcheck".
	NotFor []NotFor
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
func (s Summary) Print(w io.Writer) {
	t := s.Tally
	mode := fmt.Sprintf("%d worker processes", s.Workers)
	switch {
	case s.Merged > 0:
		mode = fmt.Sprintf("merged from %d shards", s.Merged)
	case s.InProcess:
		mode = fmt.Sprintf("%d in-process workers", s.Workers)
	}
	fmt.Fprintf(w, "forkscan: %d %s, %d results (%d ok, %d error, %d skipped), %d findings; %s; %s\n",
		s.Jobs+t.Files.Unscanned, s.unit(), t.Records, t.OK, t.Errors, t.Skipped, t.Findings, mode, s.Took.Round(time.Millisecond))
	if s.Shard != "" {
		fmt.Fprintf(w, "forkscan: %s\n", s.Shard)
	}
	for _, c := range slices.Sorted(maps.Keys(t.Failures)) {
		f := t.Failures[c]
		fmt.Fprintf(w, "forkscan: %d %s: %s (%s)\n", f.Count, plural(f.Count, "record", "records")+" failed with "+c.String(), f.First, c.Remediation())
	}
	for _, n := range s.NotFor {
		if n.Files == 0 {
			continue
		}
		fmt.Fprintf(w, "forkscan: %d %s not for %s (no record for them)\n", n.Files, plural(n.Files, "file", "files"), n.What)
	}
	if s.Ignored > 0 {
		fmt.Fprintf(w, "forkscan: left out %d files and directories (.gitignore, --include, --exclude; --no-ignore scans what .gitignore ignores)\n", s.Ignored)
	}
	if r := s.Resumed; r != nil {
		fmt.Fprintf(w, "forkscan: resumed from %s: kept %d records of %d %s (%d %s not scanned again, %d findings), dropped %d records to redo, ignored %d lines that were not records\n",
			r.From, r.Kept, r.Files, s.unit(), s.NotRescanned, s.unit(), r.Findings, r.Dropped, r.Garbage)
	}
	if s.Restarts > 0 || s.Retries > 0 {
		fmt.Fprintf(w, "forkscan: %d workers replaced, %d jobs retried\n", s.Restarts, s.Retries)
	}
	if s.Interrupted {
		cut := t.Files.Open
		notStarted := max(s.Jobs-t.Files.Done-t.Files.Failed-cut, 0)
		fmt.Fprintf(w, "forkscan: interrupted: %d %s done, %d failed, %d cut short, %d not started (and the walk stopped where it was)\n",
			t.Files.Done, s.unit(), t.Files.Failed, cut, notStarted)
		if s.Stopped != "" {
			fmt.Fprintf(w, "forkscan: workers %s\n", s.Stopped)
		}
	}
	for _, sem := range s.Semaphores {
		fmt.Fprintf(w, "forkscan: semaphore %s: capacity %d, peak %d in use by %d workers, %d acquires, waited %s\n",
			sem.Name, sem.Capacity, sem.PeakInUse, sem.PeakHolders, sem.Acquires, sem.Wait.Round(time.Millisecond))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
