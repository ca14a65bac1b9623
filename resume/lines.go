package resume

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/forkscan/forkscan/record"
)

// MaxLine is the longest line Lines reads whole; a longer one is a bad
// line, read past without being held.
const MaxLine = 64 << 20

// Line is one line of a JSON lines output, read back: a record, a shard's
// header or end (Meta), or a bad line (Bad says why).
type Line struct {
	N      int    // its number, from 1
	Text   []byte // as written, newline included; nil for a bad line
	Record record.Record
	Meta   record.Meta
	Bad    string
	// Err is why the line is bad, as an error to match (Bad is its text,
	// cut to 256 bytes): record.ErrBadMeta for a line that begins as a
	// shard's header or end line but is not one, record.ErrNotRecord for
	// JSON that is not a record. Nil for a good line.
	Err error
}

// Why lines are bad, besides what record says.
var (
	errLong     = fmt.Errorf("longer than %d MiB", MaxLine>>20)
	errCutShort = errors.New("the last line is cut short (no newline)")
)

// IsRecord reports whether the line is a record.
func (l *Line) IsRecord() bool { return l.Bad == "" && l.Meta == (record.Meta{}) }

// Lines reads r line by line, holding one line at a time. A read error
// ends it, yielded once as the error.
func Lines(r io.Reader) iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		for n := 1; ; n++ {
			text, long, err := readLine(br)
			if len(text) == 0 && !long && errors.Is(err, io.EOF) {
				return
			}
			if err != nil && !errors.Is(err, io.EOF) {
				yield(Line{}, err)
				return
			}
			l := Line{N: n}
			if long {
				l.bad(errLong)
			} else {
				l = parseLine(n, text)
			}
			if !yield(l, nil) {
				return
			}
		}
	}
}

// readLine reads a line; long says it was longer than MaxLine, and was
// read past.
func readLine(br *bufio.Reader) (text []byte, long bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			text = append(text, chunk...)
			if len(text) > MaxLine {
				text, long = nil, true
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return text, long, err
		}
	}
}

// parseLine parses line n of an output.
func parseLine(n int, text []byte) Line {
	l := Line{N: n, Text: text}
	if !bytes.HasSuffix(text, []byte("\n")) {
		l.bad(errCutShort)
		return l
	}
	switch m, err := record.ParseMeta(text); {
	case err != nil:
		l.bad(err)
		return l
	case m != record.Meta{}:
		l.Meta = m
		return l
	}
	// UnmarshalJSON checks the line is JSON; json.Unmarshal would too,
	// reading each line once more.
	if err := l.Record.UnmarshalJSON(text); errors.Is(err, record.ErrNotRecord) {
		l.bad(err)
	} else if err != nil {
		l.bad(fmt.Errorf("not a JSON record (%w)", err))
	}
	return l
}

// maxBad is the longest Bad is: a decoder's error quotes the value it
// could not take, which a hostile line makes as long as itself.
const maxBad = 256

// bad makes l a bad line, for err.
func (l *Line) bad(err error) {
	l.Text, l.Bad, l.Err = nil, err.Error(), err
	if len(l.Bad) > maxBad {
		l.Bad = strings.ToValidUTF8(l.Bad[:maxBad], "") + "…"
	}
}
