package main

import (
	"iter"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/tree"
)

// source wires the walk to the run: a file the walk finds becomes a job
// for the scanners an earlier run has not done, and an entry that cannot
// be scanned becomes its records at once.
type source struct {
	walker   *tree.Walker
	scanners []string
	done     *resume.Prior // nil: nothing done
	out      *output.Writer

	kept      atomic.Int64 // files an earlier run had done, not scanned again
	keptBytes atomic.Int64
}

// jobs returns the run's jobs, largest files first.
func (s *source) jobs() iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		for e := range tree.LargestFirst(s.walker.Walk) {
			if e.Err != nil || e.Skip != "" {
				s.records(e)
				continue
			}
			left := s.done.Left(e.Root, e.Path, s.scanners)
			if len(left) == 0 {
				s.kept.Add(1)
				s.keptBytes.Add(e.Size)
				continue
			}
			j := engine.Job{Root: e.Root, Path: e.Path, Meta: output.Track(len(left), e.Size, true)}
			if len(left) < len(s.scanners) {
				j.Scanners = left
			}
			if !yield(j) {
				return
			}
		}
	}
}

// records writes one record per scanner for an entry that gets no job.
func (s *source) records(e tree.Entry) {
	f := output.Track(len(s.scanners), 0, false)
	rec := record.Record{Root: e.Root, Path: e.Path, Status: record.StatusSkipped, Reason: e.Skip}
	if e.Err != nil {
		rec.Status, rec.Error = record.StatusError, e.Err
	}
	for _, sc := range s.scanners {
		rec.Scanner = sc
		s.out.Write(rec, f)
	}
}

// summary is the end of a run, for people.
func (s *source) summary(st engine.Stats, cfg engine.Config, took time.Duration, resumed *resume.Report, interrupted bool) output.Summary {
	sum := output.Summary{
		Tally: s.out.Tally(), Jobs: st.Jobs, Workers: cfg.Workers, InProcess: cfg.InProcess, Took: took,
		Ignored: s.walker.Counts().Ignored, Resumed: resumed, NotRescanned: int(s.kept.Load()),
		Restarts: st.Restarts, Retries: st.Retries, Interrupted: interrupted, Semaphores: st.Semaphores,
	}
	if len(st.Stop.Processes) > 0 {
		sum.Stopped = st.Stop.String()
	}
	return sum
}
