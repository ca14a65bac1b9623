package scan

import (
	"context"
	"crypto/sha256"
	"errors"
	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/record"
)

// Scanner looks at one file and reports what it found.
//
// Scan is called concurrently from several tasks of one worker process and
// must be safe for that. It should honour ctx: a cancelled job's context is
// cancelled, and a scanner that ignores it may be killed with its process.
type Scanner interface {
	Scan(ctx context.Context, f *File) (Report, error)
}

// BatchScanner is a Scanner that can also look at several files in one
// call, as a tool that takes many files per invocation does (bandit,
// shellcheck, eslint): its Def.Batch says how many at most. ScanBatch
// returns one Outcome per file, in the order of files; each becomes that
// file's record, as Scan's return would. A worker calls Scan for a file
// alone and ScanBatch for a group; it never calls ScanBatch with fewer
// than two files.
type BatchScanner interface {
	Scanner
	ScanBatch(ctx context.Context, files []*File) []Outcome
}

// BatchSizer is a BatchScanner that says, once built with its options,
// the most files it takes in one call: the exec scanner with only tools
// that take one file per run says 1, and its worker then runs its files
// one per task, side by side, as any scanner's. Def.Batch stays the most
// any configuration takes.
type BatchSizer interface {
	BatchMost() int
}

// Hasher is a scanner with Def.Hash that hands on only some files (a
// tool for *.py): the worker hashes a file for it only when Hashes, given
// the file's Root, Path and Dir, says it may hand the file on, so that a
// tree of files no tool takes is not read for nothing.
type Hasher interface {
	Hashes(f *File) bool
}

// Outcome is what a BatchScanner made of one file of a batch: its Report,
// or the error Scan would have returned for it (a *SkipError to skip it).
type Outcome struct {
	Report Report
	Err    error
}

// ScannerFunc adapts a function to the Scanner interface.
type ScannerFunc func(ctx context.Context, f *File) (Report, error)

// Scan calls fn(ctx, f).
func (fn ScannerFunc) Scan(ctx context.Context, f *File) (Report, error) { return fn(ctx, f) }

// File is one item as the parse step read it. The same File is handed to every
// scanner of a job; scanners must not modify it, and must not keep it, its
// Data (or a slice of it) once their Scan has returned: the worker reads
// the next file into the same memory. Copy what is to be kept.
type File struct {
	// Root is the tree the file was found under, and Path its path
	// relative to Root, as the job gave them (see engine.Job). A file with
	// no Root is named by Path alone.
	Root, Path string
	// Size is the file's size in bytes, from stat. Zero when no scanner of
	// the job reads content.
	Size int64
	// Data is the whole content; nil when no scanner of the job reads content.
	Data []byte
	// Binary reports whether Data looks binary (a NUL byte in its first 8 KiB,
	// the rule git uses).
	Binary bool
	// SHA256 is the SHA-256 of Data, computed once as the file is read;
	// zero when no scanner of the job reads content.
	SHA256 [sha256.Size]byte
	// Dir is Root, open: the worker sets it, and Open opens the file
	// beneath it. Nil for a file with no Root.
	Dir *beneath.Dir
	// Unpacked says Data is not the file's own bytes but what the file,
	// an archive or a compressed file, holds: the member Member names
	// (its path, nested members' paths joined by "!", as package unpack
	// names them), or, with Member empty, a compressed file's text. The
	// worker hands a content scanner each member of an archive in turn,
	// after the file itself, and gathers the findings into the file's
	// record, each marked with its member (record.Finding.Member).
	Unpacked bool
	Member   string
	// Change says Data is not a file but the lines a change to the file
	// at Path adds, one hunk of a patch of a repository's history (the
	// job's Root is the repository): a scanner reads Data, never the file
	// (Path names it in the commit's tree, not on disk), and counts lines
	// from Line, the line of the file Data starts on. Commit names the
	// commit; it is empty for staged or uncommitted changes.
	Change bool
	Commit string
	Line   int
}

// Name is the name of the file: Path joined to Root (see record.Join). The
// parse step has read the file already; a scanner that hands it to a tool
// passes Name.
func (f *File) Name() string { return record.Join(f.Root, f.Path) }

// Open opens the file for a scanner that reads it itself, as the parse
// step does: beneath its root, never through a symlink out of it (a path
// swapped for one since the walk is beneath.ErrOutside), never waiting on
// a FIFO or a device (beneath.ErrNotRegular). A file with no root is
// opened by its name.
func (f *File) Open() (*beneath.File, error) {
	switch {
	case f.Dir != nil:
		return f.Dir.Open(f.Path)
	case f.Root == "":
		return beneath.OpenFile(f.Path)
	}
	dir, err := beneath.OpenDir(f.Root) // a File the worker did not make
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	return dir.Open(f.Path)
}

// Report is what a scanner returns for one file.
type Report struct {
	// Findings are the things worth a user's attention. A run with any
	// finding exits 1 from the CLI.
	Findings []Finding
	// Data holds facts about the file (sizes, hashes, counts); it is encoded
	// as JSON in the worker. Nil reports nothing.
	Data any
}

// SkipError is returned by a scanner that declines a file; the record's
// status is "skipped" with Reason, not "error".
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a *SkipError with the given reason.
func Skip(reason string) error { return &SkipError{Reason: reason} }

// IsSkip reports whether err is, or wraps, a *SkipError, and returns its reason.
func IsSkip(err error) (reason string, ok bool) {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}
