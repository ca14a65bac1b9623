package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// record is one output line: the outcome of one scanner on one file.
type record struct {
	Path       string          `json:"path"`                  // relative to the scanned root
	PathBase64 string          `json:"path_base64,omitempty"` // the exact bytes, when Path is not valid UTF-8
	Scanner    string          `json:"scanner"`
	Status     string          `json:"status"` // ok | error | skipped
	Findings   []scan.Finding  `json:"findings"`
	Data       json.RawMessage `json:"data,omitempty"`
	Error      *recordError    `json:"error,omitempty"`
	Reason     string          `json:"reason,omitempty"` // why skipped
	Attempts   int             `json:"attempts"`
	WorkerPID  int             `json:"worker_pid"`
}

type recordError struct {
	Category    string `json:"category"`
	Message     string `json:"message"`
	Retryable   bool   `json:"retryable"`
	Remediation string `json:"remediation,omitempty"`
}

func newRecord(r engine.Result) record {
	rec := record{
		Path: r.Path, Scanner: r.Scanner, Status: r.Status.String(), Findings: r.Findings,
		Data: r.Data, Reason: r.Reason, Attempts: r.Attempts, WorkerPID: r.WorkerPID,
	}
	if rel, ok := r.Meta.(string); ok {
		rec.Path = rel
	}
	if !utf8.ValidString(rec.Path) {
		rec.PathBase64 = base64.StdEncoding.EncodeToString([]byte(rec.Path))
		rec.Path = strings.ToValidUTF8(rec.Path, "\uFFFD")
	}
	if rec.Findings == nil {
		rec.Findings = []scan.Finding{}
	}
	if r.Err != nil {
		rec.Error = &recordError{Category: r.Err.Category.String(), Message: r.Err.Message,
			Retryable: r.Err.Retryable, Remediation: r.Err.Category.Remediation()}
	}
	return rec
}

// sink writes records in arrival order, one whole line each, and counts
// them. It is safe for concurrent use: the walker's records and the
// engine's results meet here.
type sink struct {
	mu     sync.Mutex
	w      *bufio.Writer
	enc    *json.Encoder
	format string
	err    error // the first write error
	tally  tally
}

// tally is what the summary and the exit code are made of.
type tally struct {
	results  int
	ok       int
	errors   int
	skipped  int
	findings int
}

func newSink(w io.Writer, format string) *sink {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &sink{w: bw, enc: enc, format: format}
}

func (s *sink) write(r engine.Result) {
	rec := newRecord(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count(rec)
	if s.err != nil {
		return
	}
	if s.format == "text" {
		s.err = writeText(s.w, rec)
	} else {
		s.err = s.enc.Encode(rec)
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

func (s *sink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Flush(); s.err == nil {
		s.err = err
	}
	return s.err
}

func writeText(w io.Writer, rec record) error {
	var err error
	switch rec.Status {
	case "ok":
		_, err = fmt.Fprintf(w, "%s: %s: ok, %d findings\n", rec.Path, rec.Scanner, len(rec.Findings))
		for _, f := range rec.Findings {
			if err == nil {
				_, err = fmt.Fprintf(w, "  line %d: %s: %s\n", f.Line, f.Rule, f.Message)
			}
		}
	case "error":
		_, err = fmt.Fprintf(w, "%s: %s: error %s: %s\n", rec.Path, rec.Scanner, rec.Error.Category, rec.Error.Message)
	default:
		_, err = fmt.Fprintf(w, "%s: %s: skipped, %s\n", rec.Path, rec.Scanner, rec.Reason)
	}
	return err
}
