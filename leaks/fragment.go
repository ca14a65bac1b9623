package leaks

import (
	"path"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/h2non/filetype"
)

// Fragment is a piece of a file the detector scans at once.
type Fragment struct {
	// Raw is the text.
	Raw string
	// Path is the file's path, as rules' and allowlists' path patterns
	// see it and findings name it; "" for text of no file.
	Path string
	// Commit is the commit the text comes from, for allowlists' commits.
	Commit string
	// StartLine is the line of the file Raw starts on, from 1; 0 is
	// taken as 1.
	StartLine int
}

// Sizes of gitleaks' reads of a file: it reads a file chunkSize bytes at
// a time through a bufio.Reader of bufioSize, then reads on, a byte at a
// time, up to peekSize more, until a blank line, so that a fragment rarely
// ends in the middle of a secret.
const (
	chunkSize = 100_000
	peekSize  = 25_000
	bufioSize = 4096
)

// Fragments splits a file's text into the fragments `gitleaks dir`
// scans, in order, with their start lines: it reads as gitleaks reads a
// file, through the same buffers, so the fragments end where gitleaks'
// end. binary reports that gitleaks would stop at a fragment it takes for
// a binary file (by its first bytes, while no line has ended yet); the
// fragments before it are still scanned. The fragments are substrings of
// text.
func Fragments(name, text string) (frags []Fragment, binary bool) {
	r := reader{data: text}
	lines := 0
	for {
		start, n := r.read(chunkSize)
		if n == 0 {
			return frags, false
		}
		chunk := text[start : start+n]
		if lines == 0 && isBinary(chunk) {
			return frags, true
		}
		raw := text[start : start+n+r.untilBlankLine(chunk)]
		frags = append(frags, Fragment{Raw: raw, Path: name, StartLine: lines + 1})
		if r.done() {
			return frags, false
		}
		lines += strings.Count(raw, "\n")
	}
}

// isBinary is gitleaks' test: a file whose first bytes are of a known
// type of MIME type application/... is not text.
func isBinary(s string) bool {
	kind, err := filetype.Match(unsafe.Slice(unsafe.StringData(s), len(s))) // read only
	return err == nil && kind.MIME.Type == "application"
}

// reader reads data as a bufio.Reader of bufioSize over a bytes.Reader
// reads it: a large read with nothing buffered goes straight to the data;
// one with bytes buffered returns just those; a byte read fills the
// buffer. What it reads follows on from what it read before, so a chunk
// and the bytes read after it are one span of data.
type reader struct {
	data     string
	pos      int // next byte of data not yet buffered nor returned
	buffered int // bytes before pos held in the buffer
}

// read returns where the next chunk of at most n bytes starts, and its
// length.
func (r *reader) read(n int) (int, int) {
	if r.buffered > 0 {
		n = min(n, r.buffered)
		start := r.pos - r.buffered
		r.buffered -= n
		return start, n
	}
	n = min(n, len(r.data)-r.pos)
	r.pos += n
	return r.pos - n, n
}

// done reports whether everything has been read.
func (r *reader) done() bool { return r.buffered == 0 && r.pos == len(r.data) }

func (r *reader) readByte() (byte, bool) {
	if r.buffered == 0 {
		n := min(bufioSize, len(r.data)-r.pos)
		if n == 0 {
			return 0, false
		}
		r.pos += n
		r.buffered = n
	}
	b := r.data[r.pos-r.buffered]
	r.buffered--
	return b, true
}

// untilBlankLine reads on after chunk up to the second newline in a row
// (blanks between them allowed), at most peekSize bytes, and says how
// many it read; none if chunk already ends so.
func (r *reader) untilBlankLine(chunk string) int {
	if endsBlank(chunk) {
		return 0
	}
	last, read, newlines := chunk[len(chunk)-1], 0, 0
	for {
		switch {
		case last == '\n':
			newlines++
		case isBlank(last):
		default:
			newlines = 0
		}
		if newlines >= 2 || read >= peekSize {
			return read
		}
		b, ok := r.readByte()
		if !ok {
			return read
		}
		last, read = b, read+1
	}
}

// endsBlank reports whether chunk ends in blanks holding two newlines.
func endsBlank(chunk string) bool {
	newlines := 0
	for i := len(chunk) - 1; i >= 0 && isBlank(chunk[i]); i-- {
		if chunk[i] == '\n' {
			if newlines++; newlines >= 2 {
				return true
			}
		}
	}
	return false
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// compressedNames are what gitleaks' archive library looks for in a file's
// name to take it for an archive or a compressed file (anywhere in the
// name, for most: "notes.tar.txt" is one).
var compressedNames = []string{".7z", ".br", ".bz2", ".gz", ".lz4", ".rar", ".sz", ".s2", ".tar", ".xz", ".zip", ".zz", ".zst"}

// IsArchiveName reports whether `gitleaks dir` takes the file name for an
// archive or a compressed file, which it does not scan unless asked to
// look inside archives.
func IsArchiveName(name string) bool {
	base := strings.ToLower(path.Base(filepath.ToSlash(name)))
	if base == "." {
		return false
	}
	for _, n := range compressedNames {
		if strings.Contains(base, n) {
			return true
		}
	}
	ext := path.Ext(base)
	return ext == ".lz" || ext == ".mz"
}
