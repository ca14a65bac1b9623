package main

import (
	"fmt"
	"io"
	"time"

	"github.com/forkscan/forkscan/engine"
)

// summary is what the lines on stderr after a scan are made of.
type summary struct {
	tally       tally
	stats       engine.Stats
	cfg         engine.Config
	took        time.Duration
	resumed     resumeReport
	skipped     int // files an earlier run had done, not scanned again
	ignored     int // files and directories the walk left out (.gitignore, --exclude, --include)
	interrupted bool
}

func summarize(w io.Writer, s summary) {
	t, st, cfg := s.tally, s.stats, s.cfg
	mode := fmt.Sprintf("%d worker processes", cfg.Workers)
	if cfg.InProcess {
		mode = fmt.Sprintf("%d in-process workers", cfg.Workers)
	}
	files := st.Jobs + t.files.walked
	fmt.Fprintf(w, "forkscan: %d files, %d results (%d ok, %d error, %d skipped), %d findings; %s; %s\n",
		files, t.results, t.ok, t.errors, t.skipped, t.findings, mode, s.took.Round(time.Millisecond))
	if s.ignored > 0 {
		fmt.Fprintf(w, "forkscan: left out %d files and directories (.gitignore, --include, --exclude; --no-ignore scans what .gitignore ignores)\n", s.ignored)
	}
	if s.resumed.from != "" {
		fmt.Fprintf(w, "forkscan: resumed from %s: kept %d records of %d files (%d files not scanned again, %d findings), dropped %d records to redo, ignored %d lines that were not records\n",
			s.resumed.from, s.resumed.kept, s.resumed.files, s.skipped, s.resumed.findings, s.resumed.dropped, s.resumed.garbage)
	}
	if st.Restarts > 0 || st.Retries > 0 {
		fmt.Fprintf(w, "forkscan: %d workers replaced, %d jobs retried\n", st.Restarts, st.Retries)
	}
	if s.interrupted {
		cut := t.files.open
		notStarted := max(st.Jobs-t.files.done-t.files.failed-cut, 0)
		fmt.Fprintf(w, "forkscan: interrupted: %d files done, %d failed, %d cut short, %d not started (and the walk stopped where it was)\n",
			t.files.done, t.files.failed, cut, notStarted)
		if len(st.Stop.Processes) > 0 {
			fmt.Fprintf(w, "forkscan: workers %s\n", st.Stop)
		}
	}
	for _, sem := range st.Semaphores {
		fmt.Fprintf(w, "forkscan: semaphore %s: capacity %d, peak %d in use by %d workers, %d acquires, waited %s\n",
			sem.Name, sem.Capacity, sem.PeakInUse, sem.PeakHolders, sem.Acquires, sem.Wait.Round(time.Millisecond))
	}
}
