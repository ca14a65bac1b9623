package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/forkscan/forkscan/record"
)

// Buffering: records collect in memory and are written in whole lines,
// when flushAt bytes have collected and at least every flushEvery.
const (
	flushAt    = 64 << 10
	flushEvery = 500 * time.Millisecond
)

// The formats.
const (
	JSONL = "jsonl" // one record a line: the format resume and merge read
	SARIF = "sarif" // one SARIF 2.1.0 log, written at Close
	Text  = "text"  // for people: files with findings or errors
)

// Formats lists the format names New takes.
var Formats = []string{JSONL, SARIF, Text}

// Options is what formats need to know of the run. The zero value suits
// JSON lines.
type Options struct {
	// Color paints the text format with ANSI colours.
	Color bool
	// Base, if set, is the directory the text format shows paths
	// relative to, when a file is under it (the working directory, say);
	// otherwise it shows them relative to their root if there is one
	// root, and whole if there are more.
	Base string
	// RootNames, if set, says how the person named each root (by the
	// root, as Roots have it): the text format shows a file under its
	// root's name ("a/client.py", "/etc/hosts"), so that files of two
	// roots cannot look alike. A root not in it is shown as Base says.
	RootNames map[string]string
	// Ignorable are the scanners whose findings a line of a
	// .gitleaksignore drops: the text format shows that line (the
	// finding's fingerprint) under each of their findings.
	Ignorable []string
	// Roots are the run's roots (tree.Roots): with one, SARIF locations
	// are relative to it, as code-scanning services expect; otherwise
	// they are absolute file URIs.
	Roots []string
	// Shard, if set, says the output is one shard's of a scan spread over
	// machines: JSON lines begin with it (unless Resumed) and end with
	// the line Writer.End gives; SARIF has both in run.properties.
	Shard *record.ShardHeader
	// Resumed says the output continues a file that begins with Shard
	// already (resume.Load leaves it so).
	Resumed bool
	// Repository, if set, is the git repository whose history the run
	// scans: SARIF names it in the run's versionControlProvenance.
	Repository *Repository
	// Version is the version of forkscan SARIF's driver states (a
	// release's "v1.2.0"). If empty or "(devel)", the version Go embedded
	// for forkscan's module, and for a build from source 0.0.0-devel with
	// the VCS revision (see driverVersion).
	Version string
}

// Repository is a scanned history's repository, as SARIF's version
// control provenance names it.
type Repository struct {
	// URI is where it is: its remote's URL (no credentials), or a file
	// URI of its directory.
	URI string
	// Revision is the commit HEAD named, and Branch its branch, when the
	// scan began; either may be empty.
	Revision, Branch string
}

// Writer writes records in arrival order in one format, whole lines at a
// time, and tallies them. It is safe for concurrent use. Make one with
// New; the zero value is not usable.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    bytes.Buffer // whole records not yet written
	format format
	err    error // the first write error
	shard  *record.ShardEnd
	tally  Tally
	stop   chan struct{}
	done   chan struct{}
}

// New returns a Writer of the named format to w; it starts the ticker
// that flushes it, which Close stops. An unknown format is an error
// naming the known ones.
func New(w io.Writer, name string, o Options) (*Writer, error) {
	var f format
	switch name {
	case JSONL:
		f = &jsonlFormat{}
	case Text:
		f = newText(o)
	case SARIF:
		f = newSARIF(o)
	default:
		return nil, fmt.Errorf("output: unknown format %q (known: %s)", name, strings.Join(Formats, ", "))
	}
	wr := &Writer{w: w, format: f, stop: make(chan struct{}), done: make(chan struct{})}
	if o.Shard != nil && name == JSONL && !o.Resumed {
		if err := json.NewEncoder(&wr.buf).Encode(o.Shard); err != nil {
			return nil, err
		}
	}
	go wr.tick()
	return wr, nil
}

// Write adds one record of the file f (nil for a record that stands
// alone).
func (w *Writer) Write(rec record.Record, f *File) { w.WriteLine(rec, nil, f) }

// WriteLine is Write of a record read back from JSON lines, with its line
// (newline included): the JSON lines format writes the line as it is,
// rather than encoding the record again.
func (w *Writer) WriteLine(rec record.Record, line []byte, f *File) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tally.add(rec, f)
	if w.err != nil {
		return
	}
	if _, jsonl := w.format.(*jsonlFormat); jsonl && line != nil {
		w.buf.Write(line)
	} else {
		w.err = w.format.add(&w.buf, rec, f)
	}
	if w.buf.Len() >= flushAt {
		w.flushLocked()
	}
}

// tick flushes every flushEvery until Close.
func (w *Writer) tick() {
	defer close(w.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.mu.Lock()
			w.flushLocked()
			w.mu.Unlock()
		case <-w.stop:
			return
		}
	}
}

func (w *Writer) flushLocked() {
	if w.buf.Len() == 0 || w.err != nil {
		return
	}
	_, w.err = w.w.Write(w.buf.Bytes())
	w.buf.Reset()
}

// End sets the end line of a shard's output (Options.Shard), which Close
// writes after the last record. Without it, a shard's output ends as a
// killed run's does: with no end line.
func (w *Writer) End(e record.ShardEnd) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.shard = &e
}

// Tally returns the tally so far.
func (w *Writer) Tally() Tally {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tally
	t.Failures = maps.Clone(t.Failures)
	return t
}

// Close writes what is left (all of a SARIF log; the text blocks of files
// an interrupted run did not complete) and stops the ticker. It returns
// the first write error. It does not close the underlying writer.
func (w *Writer) Close() error {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = w.format.end(&w.buf, w.shard)
	}
	w.flushLocked()
	return w.err
}

// File follows the records of one file: how many it is to get, and how
// many it got. Pass the same File with each of the file's records: the
// text format prints a file's block once it is complete, and the tally
// counts files done, failed and cut short. Make one with Track: a zero
// File expects no record, so its first completes it.
type File struct {
	want    int
	size    int64
	scanned bool
	got     int  // records written so far; under the Writer's lock
	failed  bool // one of them is an error; under the Writer's lock
	path    string
}

// Track returns the File of a file that is to get records records: a file
// sent to be scanned, of size bytes, or (scanned false) one whose records
// the caller makes itself, such as an entry the walk could not read.
func Track(records int, size int64, scanned bool) *File {
	return &File{want: records, size: size, scanned: scanned}
}

// Tally is what a Writer wrote: what the summary and an exit code are made of.
type Tally struct {
	Records  int // every record
	OK       int // with status ok
	Errors   int // with status error
	Skipped  int // with status skipped
	Findings int // over all records
	Files    Files
	Bytes    int64 // the sizes of the scanned files complete
	// Failures counts the error records by category, each with the
	// message of the first: a tool that is not installed is one line of
	// the summary, not one per file.
	Failures map[record.Category]Failure
}

// Failure is how many error records have one category, and the first's
// message.
type Failure struct {
	Count int
	First string
}

// Files counts the files of the records written with a File, by how far
// they got.
type Files struct {
	Done      int // scanned files with all their records in, none an error
	Failed    int // scanned files with all their records in, one at least an error
	Unscanned int // files whose records the caller made (Track with scanned false), all in
	Open      int // files with some of their records in, not all
}

func (t *Tally) add(rec record.Record, f *File) {
	t.Records++
	t.Findings += len(rec.Findings)
	switch rec.Status {
	case record.StatusOK:
		t.OK++
	case record.StatusError:
		t.Errors++
		if rec.Error != nil {
			if t.Failures == nil {
				t.Failures = map[record.Category]Failure{}
			}
			f := t.Failures[rec.Error.Category]
			if f.Count == 0 {
				f.First = rec.Error.Message
			}
			f.Count++
			t.Failures[rec.Error.Category] = f
		}
	default:
		t.Skipped++
	}
	if f == nil {
		return
	}
	if f.got == 0 {
		t.Files.Open++
		f.path = rec.Path
	}
	f.got++
	f.failed = f.failed || rec.Status == record.StatusError
	if f.got < f.want {
		return
	}
	t.Files.Open--
	switch {
	case !f.scanned:
		t.Files.Unscanned++
	case f.failed:
		t.Files.Failed++
		t.Bytes += f.size
	default:
		t.Files.Done++
		t.Bytes += f.size
	}
}

// complete reports whether f has all its records (nil stands alone).
func (f *File) complete() bool { return f == nil || f.got >= f.want }

// sortFiles orders files by the path of their first record.
func sortFiles(files []*File) {
	slices.SortFunc(files, func(a, b *File) int { return strings.Compare(a.path, b.path) })
}
