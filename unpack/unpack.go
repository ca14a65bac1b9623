package unpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"path/filepath"
	"strings"

	"github.com/mholt/archives"
)

// Sep joins the paths of nested members, as gitleaks writes them: a
// finding in files/api.go of inner.zip in outer.tar.gz is at
// "outer.tar.gz!inner.zip!files/api.go".
const Sep = "!"

// The defaults of Limits' zero fields.
const (
	DefaultMaxBytes   = 1 << 30
	DefaultMaxMembers = 100_000
	DefaultMaxRatio   = 1000
)

// ratioFloor is how many bytes any archive may expand to before its ratio
// is looked at: a small archive of text may well expand a thousandfold.
const ratioFloor = 1 << 20

// Limits bound what one archive may cost, every level of nesting counted
// together. Their zero values are the defaults, but for MaxDepth, whose
// zero reads no archive.
type Limits struct {
	// MaxDepth is how many archives deep members are read: 1 reads the
	// members of the file itself, 2 those of archives among them too, and
	// so on (gitleaks' --max-archive-depth). A compressed file counts as
	// a level. Zero: none; the file is not opened.
	MaxDepth int
	// MaxBytes is the most bytes read out of one archive, all levels
	// together. Zero: DefaultMaxBytes.
	MaxBytes int64
	// MaxMembers is the most members (files and directories) one archive
	// may hold, all levels together. Zero: DefaultMaxMembers.
	MaxMembers int
	// MaxRatio is the most bytes one archive may expand to per byte of its
	// own, once past a MiB. Zero: DefaultMaxRatio.
	MaxRatio int
	// MaxMember is the largest member read, in bytes (a worker passes its
	// largest file): a larger one is noted and passed over, and the
	// archive read on. It bounds the memory a walk holds. Zero: none but
	// MaxBytes, which a member over is an error of the archive.
	MaxMember int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxMember <= 0 {
		l.MaxMember = math.MaxInt64 // MaxBytes bounds it
	}
	return l
}

// Member is one file read out of an archive.
type Member struct {
	// Path is where it is: the members' names from the outermost archive
	// inward, joined by Sep, each cleaned as a slash path ("a/../b" is
	// "b"). The text of a compressed file is named as the file itself:
	// "" at the top, the member's own path within an archive.
	Path string
	// Data is its content, read into memory of its own: the function it
	// is handed to may keep it.
	Data []byte
}

// Note says why a member was not read, or what went wrong in an archive
// whose other members were.
type Note struct {
	Member string // as Member.Path; "" for the file itself
	Reason string
}

// Summary is what reading one archive came to.
type Summary struct {
	Members int   // files handed to the function
	Bytes   int64 // read out of the archive, all levels
	// Notes are the members not read (not a regular file, encrypted,
	// corrupt, too deep), the first maxNotes of them; Dropped counts the
	// rest.
	Notes   []Note
	Dropped int
}

// maxNotes is the most notes a Summary keeps.
const maxNotes = 100

// Is reports whether Walk takes name for an archive or a compressed file:
// by its name alone, as gitleaks does (".tar" anywhere in the name, a
// ".zip", ".gz", ".7z" ... extension).
func Is(name string) bool {
	_, err := identify(context.Background(), name)
	return err == nil
}

func identify(ctx context.Context, name string) (archives.Format, error) {
	f, _, err := archives.Identify(ctx, path.Base(filepath.ToSlash(name)), nil)
	if err == nil && f == nil {
		err = archives.NoMatch
	}
	return f, err
}

// Walk reads data, the content of the file name, as an archive or a
// compressed file (Is), and calls fn with each regular file it holds, in
// the archive's order, reading the members that are archives themselves
// in their turn, to lim.MaxDepth. A member Walk cannot read (encrypted,
// corrupt, not a regular file) or one deeper than MaxDepth is noted in
// the Summary and passed over.
//
// The error is a *LimitError when the archive overran a limit, ErrFormat
// when the file is not the archive its name says (or breaks off in a way
// its format cannot read past), ctx's error when it was cancelled, or
// what fn returned; the Summary then says what was read before.
func Walk(ctx context.Context, name string, data []byte, lim Limits, fn func(Member) error) (Summary, error) {
	w := &walker{ctx: ctx, lim: lim.withDefaults(), fn: fn, size: int64(len(data))}
	if lim.MaxDepth <= 0 {
		return w.sum, nil
	}
	err := w.safely(name, data)
	var limit *LimitError
	if errors.As(err, &limit) {
		limit.Member = w.at
	}
	return w.sum, err
}

// safely reads the file, turning a panic of a format's reader on a
// hostile archive into ErrFormat (fn's own panics are not its to hide).
func (w *walker) safely(name string, data []byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if w.inFn {
				panic(v)
			}
			err = fmt.Errorf("%w: its reader failed: %v", ErrFormat, v)
		}
	}()
	return w.file(name, "", data, 1)
}

// walker is one Walk.
type walker struct {
	ctx  context.Context
	lim  Limits
	fn   func(Member) error
	size int64 // the outermost archive's, for the ratio
	sum  Summary
	seen int    // members met, all levels
	at   string // the member met last
	err  error  // fn's, passed through
	inFn bool   // fn is running
}

// call hands m to fn, keeping fn's error to pass it through as it is.
func (w *walker) call(m Member) error {
	w.sum.Members++
	w.inFn = true
	err := w.fn(m)
	w.inFn = false
	if err != nil {
		w.err = err
		return err
	}
	return nil
}

// file reads data, which the name says is an archive or compressed file,
// as the level depth; where is its path so far ("" at the top).
func (w *walker) file(name, where string, data []byte, depth int) error {
	format, err := identify(w.ctx, name)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrFormat, err)
	}
	switch f := format.(type) {
	case archives.Extractor:
		if _, ok := f.(archives.Zip); ok {
			if err := w.zipCount(data); err != nil {
				return err
			}
		}
		err := f.Extract(w.ctx, bytes.NewReader(data), func(_ context.Context, m archives.FileInfo) error {
			return w.member(m, where, depth)
		})
		return w.formatError(err)
	case archives.Decompressor:
		r, err := f.OpenReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%w: %s", ErrFormat, err)
		}
		defer r.Close()
		text, err := w.read(r)
		if errors.Is(err, errTooLarge) {
			w.note(where, w.tooLarge(int64(len(text))))
			return nil
		}
		if err != nil {
			return w.formatError(err)
		}
		return w.call(Member{Path: where, Data: text})
	}
	return fmt.Errorf("%w: %s: a format that cannot be read", ErrFormat, name)
}

// member handles one member of an archive at depth.
func (w *walker) member(m archives.FileInfo, where string, depth int) error {
	w.at = where
	if err := w.count(); err != nil {
		return err
	}
	if m.IsDir() {
		return nil
	}
	name := path.Clean(filepath.ToSlash(m.NameInArchive))
	at := join(where, name)
	w.at = at
	if !m.Mode().IsRegular() {
		w.note(at, "not a regular file ("+kind(m.Mode())+")")
		return nil
	}
	if m.Size() > w.lim.MaxMember {
		w.note(at, w.tooLarge(m.Size()))
		return nil
	}
	if err := w.budget(w.sum.Bytes + m.Size()); err != nil {
		return err
	}
	rc, err := m.Open()
	if err != nil {
		w.note(at, "cannot be opened: "+err.Error())
		return nil
	}
	defer rc.Close()
	data, err := w.read(rc)
	var limit *LimitError
	switch {
	case errors.As(err, &limit), w.ctx.Err() != nil:
		return err
	case errors.Is(err, errTooLarge):
		w.note(at, w.tooLarge(int64(len(data))))
		return nil
	case err != nil:
		w.note(at, "cannot be read: "+err.Error())
		return nil
	}
	if Is(name) {
		if depth >= w.lim.MaxDepth {
			w.note(at, fmt.Sprintf("an archive deeper than the depth limit (%d)", w.lim.MaxDepth))
			return nil
		}
		err := w.file(name, at, data, depth+1)
		if errors.Is(err, ErrFormat) {
			w.note(at, err.Error())
			return nil
		}
		return err
	}
	return w.call(Member{Path: at, Data: data})
}

func join(where, name string) string {
	if where == "" {
		return name
	}
	return where + Sep + name
}

func (w *walker) note(member, reason string) {
	if len(w.sum.Notes) == maxNotes {
		w.sum.Dropped++
		return
	}
	w.sum.Notes = append(w.sum.Notes, Note{Member: member, Reason: reason})
}

// formatError passes a limit, a cancellation or fn's own error through,
// and marks anything else a format error.
func (w *walker) formatError(err error) error {
	var limit *LimitError
	switch {
	case w.err != nil:
		return w.err
	case err == nil, errors.As(err, &limit), w.ctx.Err() != nil:
		return err
	}
	return fmt.Errorf("%w: %s", ErrFormat, err)
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return strings.TrimSpace(m.Type().String())
}

// read reads r to its end, or a byte past what the archive has left to
// expand to or the largest member, whichever is less: errTooLarge, with
// the bytes read, for the member.
func (w *walker) read(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(&ctxReader{ctx: w.ctx, r: r}, min(w.room()-w.sum.Bytes, w.lim.MaxMember)+1))
	w.sum.Bytes += n
	if err := w.budget(w.sum.Bytes); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if n > w.lim.MaxMember {
		return buf.Bytes(), errTooLarge
	}
	return buf.Bytes(), nil
}

// errTooLarge is read's error for a member over MaxMember.
var errTooLarge = errors.New("unpack: member too large")

func (w *walker) tooLarge(size int64) string {
	return fmt.Sprintf("larger than the largest member read (%d bytes, limit %d)", size, w.lim.MaxMember)
}
