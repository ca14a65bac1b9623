package main

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/forkscan/forkscan/engine"
)

// Output buffering: records collect in memory and are written in whole
// lines, when flushAt bytes have collected and at least every flushEvery,
// so that the output is never more than flushEvery behind the run and a
// kill of this process can cut it only between lines.
const (
	flushAt    = 64 << 10
	flushEvery = 500 * time.Millisecond
)

// sink writes records in arrival order, one whole line each, and counts
// them. It is safe for concurrent use: the walker's records and the
// engine's results meet here.
type sink struct {
	mu     sync.Mutex
	w      io.Writer
	buf    bytes.Buffer // whole records not yet written
	format format
	err    error // the first write error
	tally  tally
	stop   chan struct{}
	done   chan struct{}
}

// tally is what the summary and the exit code are made of.
type tally struct {
	results  int
	ok       int
	errors   int
	skipped  int
	findings int
	files    files
	bytes    int64 // of the files done or failed
}

func newSink(w io.Writer, f format) *sink {
	s := &sink{w: w, format: f, stop: make(chan struct{}), done: make(chan struct{})}
	go s.tick()
	return s
}

func (s *sink) write(r engine.Result) {
	rec := newRecord(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count(rec)
	ref, _ := r.Meta.(*fileRef)
	if s.tally.files.add(ref, rec.Status == "error") {
		s.tally.bytes += ref.size
	}
	if s.err != nil {
		return
	}
	s.err = s.format.add(&s.buf, rec, ref)
	if s.buf.Len() >= flushAt {
		s.flushLocked()
	}
}

func (s *sink) count(rec record) {
	s.tally.results++
	s.tally.findings += len(rec.Findings)
	switch rec.Status {
	case "ok":
		s.tally.ok++
	case "error":
		s.tally.errors++
	default:
		s.tally.skipped++
	}
}

// tick flushes every flushEvery until close.
func (s *sink) tick() {
	defer close(s.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			s.flushLocked()
			s.mu.Unlock()
		case <-s.stop:
			return
		}
	}
}

func (s *sink) flushLocked() {
	if s.buf.Len() == 0 || s.err != nil {
		return
	}
	_, s.err = s.w.Write(s.buf.Bytes())
	s.buf.Reset()
}

// snapshot returns the tally so far.
func (s *sink) snapshot() tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tally
}

// close writes what is left and stops the ticker; it returns the first
// write error.
func (s *sink) close() error {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.format.end(&s.buf)
	}
	s.flushLocked()
	return s.err
}

// files counts files by how far they got: every record in (done, or
// failed when one of them is an error), or some records in (open). The
// progress of each file is kept on its fileRef, which all its records
// share.
type files struct {
	done, failed int // jobs of the engine
	walked       int // files the walker recorded itself (not regular, unreadable)
	open         int // files with some of their records in, not all
}

// add counts a record of ref's file, and reports whether it completed it.
func (f *files) add(ref *fileRef, failed bool) bool {
	if ref == nil {
		return false
	}
	if ref.got == 0 {
		f.open++
	}
	ref.got++
	ref.failed = ref.failed || failed
	if ref.got < ref.want {
		return false
	}
	f.open--
	switch {
	case !ref.job:
		f.walked++
	case ref.failed:
		f.failed++
	default:
		f.done++
	}
	return true
}
