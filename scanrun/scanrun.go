// Package scanrun is one scan of trees into an output, the part that
// `forkscan scan` and each scan of `forkscan serve` share: the walk's
// entries become the engine's jobs (largest files first), less what an
// earlier output already holds (package resume); an entry that cannot be
// scanned becomes its records at once; the run's results go to the
// output's writer; and the end is a summary for people.
//
// It is to the engine what a test runner's "package main" is to the
// testing package: the wiring of layers that each know nothing of the
// others (the walk of formats, the writer of processes), and nothing of
// flags or HTTP itself.
//
//	src := &scanrun.Source{Walker: w, Scanners: cfg.Scanners, Out: out}
//	run, err := engine.Start(ctx, cfg, src.Jobs())
//	for r := range run.Results() {
//		src.Write(r)
//	}
//	st, err := run.Wait()
//	sum := src.Summary(st, cfg, took, nil, ctx.Err() != nil)
package scanrun

import (
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/tree"
)

// Walk is what a Source turns into jobs: a tree's files (*tree.Walker),
// or the commits of a repository's history (*History), as entries that
// it counts as it yields them.
type Walk interface {
	Walk(yield func(tree.Entry) bool)
	Stopped() bool // the walk was stopped before its end
	Counts() tree.Counts
}

// ordered is a Walk whose order is the run's: its entries are not
// dealt largest first.
type ordered interface{ Ordered() bool }

// Source wires a walk to a run and the run to an output. Its zero value
// is not usable: Walker and Out are needed.
type Source struct {
	Walker   Walk
	Scanners []string      // the run's scanners, as in engine.Config
	Done     *resume.Prior // what an earlier output holds; nil: nothing
	Out      *output.Writer
	// Filters say which files some scanners take (an exec tool for
	// "*.py"): a scanner is not run on a file it does not take, and the
	// file gets no record from it, only a count in the summary (as
	// "N files not for WHAT"). Whether it takes a file is asked again on a
	// resume, so a file that no record names is not scanned again, and
	// one that changed is asked anew. None: every scanner takes every
	// file.
	Filters []Filter

	kept      atomic.Int64 // files an earlier run had done, not scanned again
	keptBytes atomic.Int64
	walked    atomic.Bool    // every entry of the walk became a job or records
	notFor    []atomic.Int64 // per filter, files it did not take; made by Jobs

	untaken, untakenBytes atomic.Int64 // files no scanner left to run took (Filters)
}

// Filter says which files a scanner takes.
type Filter struct {
	Scanner string // the scanner it is for
	What    string // what the files are not for, in the summary: "shellcheck"
	// Takes reports whether the scanner takes the file at path under
	// root (tree.Entry's Root and Path).
	Takes func(root, path string) bool
}

// Jobs returns the run's jobs, largest files first. An entry the walk
// cannot scan is written as its records instead.
func (s *Source) Jobs() iter.Seq[engine.Job] {
	s.notFor = make([]atomic.Int64, len(s.Filters))
	return func(yield func(engine.Job) bool) {
		entries := tree.LargestFirst(s.Walker.Walk)
		if o, ok := s.Walker.(ordered); ok && o.Ordered() {
			entries = s.Walker.Walk
		}
		for e := range entries {
			if e.Err != nil || e.Skip != "" {
				s.records(e)
				continue
			}
			left := s.Done.Left(e.Root, e.Path, s.Scanners)
			if len(left) == 0 {
				s.kept.Add(1)
				s.keptBytes.Add(e.Size)
				continue
			}
			if left = s.filter(e, left); len(left) == 0 {
				s.untaken.Add(1)
				s.untakenBytes.Add(e.Size)
				continue
			}
			j := engine.Job{Root: e.Root, Path: e.Path, Meta: output.Track(len(left), e.Size, true)}
			if len(left) < len(s.Scanners) {
				j.Scanners = left
			}
			if !yield(j) {
				return
			}
		}
		s.walked.Store(!s.Walker.Stopped())
	}
}

// filter returns the scanners of left that take e's file, and counts
// the files the others do not take.
func (s *Source) filter(e tree.Entry, left []string) []string {
	for i, f := range s.Filters {
		k := slices.Index(left, f.Scanner)
		if k < 0 || f.Takes(e.Root, e.Path) {
			continue
		}
		s.notFor[i].Add(1)
		left = slices.Delete(slices.Clone(left), k, k+1)
	}
	return left
}

// NotFor counts, per filter of Filters, the files it did not take.
func (s *Source) NotFor() []output.NotFor {
	var out []output.NotFor
	for i, f := range s.Filters {
		if i < len(s.notFor) {
			out = append(out, output.NotFor{What: f.What, Files: int(s.notFor[i].Load())})
		}
	}
	return out
}

// End is the end line of a shard's output (output.Writer.End): finished
// if the run did (ran says its engine ended with every job done, not
// interrupted or failed) and the walk was handed out whole.
func (s *Source) End(ran bool) record.ShardEnd {
	c := s.Walker.Counts()
	e := record.ShardEnd{State: record.Interrupted, Files: c.Found, Bytes: c.Bytes, Tree: c.Tree}
	if ran && s.walked.Load() {
		e.State = record.Finished
	}
	return e
}

// Write writes a result of a run of Jobs.
func (s *Source) Write(r engine.Result) {
	file, _ := r.Meta.(*output.File) // every job of Jobs has one
	s.Out.Write(r.Record, file)
}

// Untaken reports the files that got no job since no scanner left to
// run on them takes them (Filters), and their bytes: done, for a
// progress bar.
func (s *Source) Untaken() (files, bytes int64) { return s.untaken.Load(), s.untakenBytes.Load() }

// Kept reports the files an earlier output had done, and their bytes:
// files not scanned again.
func (s *Source) Kept() (files, bytes int64) { return s.kept.Load(), s.keptBytes.Load() }

// records writes one record per scanner for an entry that gets no job.
func (s *Source) records(e tree.Entry) {
	f := output.Track(len(s.Scanners), 0, false)
	rec := record.Record{Root: e.Root, Path: e.Path, Status: record.StatusSkipped, Reason: e.Skip}
	if e.Err != nil {
		rec.Status, rec.Error = record.StatusError, e.Err
	}
	for _, sc := range s.Scanners {
		rec.Scanner = sc
		s.Out.Write(rec, f)
	}
}

// Summary is the end of a run, for people: st and took are the run's,
// resumed what Done came from (nil if none).
func (s *Source) Summary(st engine.Stats, cfg engine.Config, took time.Duration, resumed *resume.Report, interrupted bool) output.Summary {
	sum := output.Summary{
		Tally: s.Out.Tally(), Jobs: st.Jobs, Workers: cfg.Workers, InProcess: cfg.InProcess, Took: took,
		Ignored: s.Walker.Counts().Ignored, Resumed: resumed, NotRescanned: int(s.kept.Load()),
		Restarts: st.Restarts, Retries: st.Retries, Interrupted: interrupted, Semaphores: st.Semaphores,
		NotFor: s.NotFor(),
	}
	if len(st.Stop.Processes) > 0 {
		sum.Stopped = st.Stop.String()
	}
	return sum
}
