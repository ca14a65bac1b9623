// Package merge joins the outputs of a scan's shards (`forkscan scan
// --shard I/N`, JSON lines) into the output one scan of the whole tree
// would have written, after checking that the pieces belong together:
// every shard of 1 to N there once, all of the same roots, settings and
// forkscan, every one finished, and no file in two of them.
//
// It is what Playwright's merge-reports is to its --shard, and what
// `sort -m` is to sorted runs: it reads its inputs as streams, holding
// one line at a time and 12 bytes or so per file (to find a file two
// shards recorded), never the records. It reads each input twice: once
// to check, once to write, so that a merge it refuses writes nothing.
//
// What it holds grows with its inputs, never with what their headers
// say: a header is read only as record.ParseMeta allows (a count of at
// most record.MaxShards, a line of at most record.MaxMetaLine, no field
// twice), each input's header is kept, and the shards missing from a
// count of 100,000 are found in one pass over those given and named in
// runs ("shards 4-100000 of 100000"). Its messages are bounded the same
// way: a few bad lines, overlaps and other scans' inputs are named, the
// rest counted.
//
// It knows nothing of the walk, the engine or the CLI: it reads records
// and shards' header and end lines (package resume's Lines) and writes
// records to an output.Writer.
package merge

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
)

// The ways a merge is refused; each error names its shard files.
var (
	ErrNotShard  = errors.New("not a forkscan shard output")
	ErrMissing   = errors.New("a shard is missing")
	ErrDuplicate = errors.New("a shard is given twice")
	ErrMismatch  = errors.New("the shards are of different scans")
	ErrOverlap   = errors.New("a file is recorded by two shards")
	ErrPartial   = errors.New("a shard did not finish")
	ErrBadLines  = errors.New("lines that are not records")
)

// Options says what a merge accepts. The zero value accepts only a whole
// scan.
type Options struct {
	// AllowPartial merges what there is when shards are missing, did not
	// finish, or have lines that are not records (those lines are left
	// out), and leaves out files given that are not shards' outputs;
	// Plan.Partial then says what is missing.
	AllowPartial bool
}

// Shard is one input, as the check found it.
type Shard struct {
	Name    string // the file
	Header  record.ShardHeader
	End     *record.ShardEnd // nil: the output was cut short (its run killed)
	Records int
	Bad     []string // "NAME:N: why", the first few
	BadN    int      // lines that are not records, in all
}

// Plan is a merge that passed its check: the shards in order, and what a
// partial merge lacks.
type Plan struct {
	Shards []Shard
	// Files counts the distinct files recorded.
	Files int
	// Partial says, a line each, what a merge Options.AllowPartial let
	// through is missing; empty for a whole scan.
	Partial []string
	opts    Options
}

// maxBad is how many bad lines of a shard are named.
const maxBad = 5

// Check reads the shard outputs named and returns the plan of their
// merge, or an error wrapping each reason it is refused (errors.Join).
func Check(names []string, o Options) (*Plan, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no shard output given", ErrMissing)
	}
	p := &Plan{opts: o}
	seen := &fileSet{seed: maphash.MakeSeed(), slot: map[uint64]int32{}}
	var errs, left []error
	for i, name := range names {
		s, err := readShard(name, int32(i), seen)
		switch {
		case errors.Is(err, ErrNotShard) && o.AllowPartial:
			p.Partial = append(p.Partial, err.Error()+"; left out")
			left = append(left, err)
		case err != nil:
			errs = append(errs, err)
		default:
			p.Shards = append(p.Shards, s)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(p.Shards) == 0 {
		none := fmt.Errorf("%w: none of the files given is a shard's output", ErrMissing)
		return nil, errors.Join(append([]error{none}, left...)...)
	}
	slices.SortStableFunc(p.Shards, func(a, b Shard) int { return cmp.Compare(a.Header.Shard, b.Header.Shard) })
	errs = append(errs, p.checkSet()...)
	apart := !slices.ContainsFunc(errs, func(err error) bool {
		return errors.Is(err, ErrDuplicate) || errors.Is(err, ErrMismatch)
	}) // else every file of a shard given twice would be named
	errs = append(errs, p.checkEach()...)
	if len(seen.suspects) > 0 && apart {
		errs = append(errs, overlaps(names, seen)...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p.Files = len(seen.slot)
	return p, nil
}

// readShard reads one input through: its header, records, end and bad
// lines; its files go into seen, as slot.
func readShard(name string, slot int32, seen *fileSet) (Shard, error) {
	s := Shard{Name: name}
	f, err := os.Open(name)
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrNotShard, err)
	}
	defer f.Close()
	var last resume.Line
	for l, err := range resume.Lines(f) {
		if err != nil {
			return s, fmt.Errorf("%w: %s: %w", ErrNotShard, name, err)
		}
		switch {
		case l.N == 1 && errors.Is(l.Err, record.ErrBadMeta):
			return s, fmt.Errorf("%w: %s:1: %w", ErrNotShard, name, l.Err)
		case l.N == 1 && l.Meta.Header == nil:
			why := "a record (the output of a scan without --shard?)"
			switch {
			case l.Bad != "":
				why = l.Bad
			case l.Meta.End != nil:
				why = "an end line"
			}
			return s, fmt.Errorf("%w: %s:1: not a shard's header but %s; merge reads the JSON lines of forkscan scan --shard I/N -o FILE", ErrNotShard, name, why)
		case l.N == 1:
			s.Header = *l.Meta.Header
		case l.Bad != "":
			s.BadN++
			if len(s.Bad) < maxBad {
				s.Bad = append(s.Bad, fmt.Sprintf("%s:%d: %s", name, l.N, l.Bad))
			}
		case l.Meta.Header != nil:
			return s, fmt.Errorf("%w: %s: line %d is a second header (shard %s): outputs joined into one file", ErrMismatch, name, l.N, l.Meta.Header)
		case l.IsRecord():
			s.Records++
			seen.add(l.Record.Root, l.Record.Path, slot)
		}
		last = l
	}
	if last.N == 0 {
		return s, fmt.Errorf("%w: %s is empty", ErrNotShard, name)
	}
	s.End = last.Meta.End // an end line before the last is not the end
	return s, nil
}

// checkEach checks that each shard finished and has only good lines.
func (p *Plan) checkEach() []error {
	var errs []error
	for _, s := range p.Shards {
		switch {
		case s.End == nil:
			errs = p.partial(errs, fmt.Errorf("%w: %s (shard %s) has no end line: its run was killed, or is still running (forkscan scan --resume carries it on)", ErrPartial, s.Name, s.Header))
		case s.End.State != record.Finished:
			errs = p.partial(errs, fmt.Errorf("%w: %s (shard %s) was %s: it has %d records, and its walk had found %d entries of its share (forkscan scan --resume carries it on)", ErrPartial, s.Name, s.Header, s.End.State, s.Records, s.End.Files))
		}
		if s.BadN > 0 {
			more := ""
			if s.BadN > len(s.Bad) {
				more = fmt.Sprintf("; %d such lines in all", s.BadN)
			}
			errs = p.partial(errs, fmt.Errorf("%w: %s%s", ErrBadLines, strings.Join(s.Bad, "; "), more))
		}
	}
	return errs
}

// partial adds err to errs, or with AllowPartial notes it as missing.
func (p *Plan) partial(errs []error, err error) []error {
	if p.opts.AllowPartial {
		p.Partial = append(p.Partial, err.Error())
		return errs
	}
	return append(errs, err)
}

// Write writes the records of every shard, in shard order, to w. Lines
// that are not records are left out (Check refused them, unless
// AllowPartial).
func (p *Plan) Write(w *output.Writer) error {
	for _, s := range p.Shards {
		if err := copyRecords(s.Name, w); err != nil {
			return err
		}
	}
	return nil
}

func copyRecords(name string, w *output.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	for l, err := range resume.Lines(f) {
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if l.IsRecord() {
			w.WriteLine(l.Record, l.Text, nil)
		}
	}
	return nil
}
