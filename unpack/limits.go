package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is the error of a file that is not the archive or compressed
// file its name says, or that breaks off where its format cannot read on.
var ErrFormat = errors.New("unpack: not a readable archive")

// ErrLimit is the sentinel every *LimitError matches (errors.Is).
var ErrLimit = errors.New("unpack: archive over a limit")

// LimitError says which limit an archive overran, and where.
type LimitError struct {
	Limit  string // "bytes", "members" or "ratio"
	Max    int64
	Msg    string
	Member string // the member being read (as Member.Path); "" for the file itself
}

func (e *LimitError) Error() string {
	if e.Member == "" {
		return "archive over its " + e.Limit + " limit: " + e.Msg
	}
	return "archive over its " + e.Limit + " limit at " + e.Member + ": " + e.Msg
}

// Is makes a *LimitError match ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// count counts one more member against the limit.
func (w *walker) count() error {
	w.seen++
	if w.seen > w.lim.MaxMembers {
		return &LimitError{Limit: "members", Max: int64(w.lim.MaxMembers), Msg: fmt.Sprintf("more than %d members", w.lim.MaxMembers)}
	}
	return nil
}

// room is the most bytes the archive may expand to: MaxBytes, or less
// for a small archive, by its ratio.
func (w *walker) room() int64 {
	return min(w.lim.MaxBytes, max(ratioFloor, int64(w.lim.MaxRatio)*w.size))
}

// budget checks that total bytes, read or about to be, are within room.
func (w *walker) budget(total int64) error {
	switch {
	case total <= w.room():
		return nil
	case total > w.lim.MaxBytes:
		return &LimitError{Limit: "bytes", Max: w.lim.MaxBytes, Msg: fmt.Sprintf("expands to more than %d bytes", w.lim.MaxBytes)}
	}
	return &LimitError{Limit: "ratio", Max: int64(w.lim.MaxRatio), Msg: fmt.Sprintf("expands more than %d times its own %d bytes", w.lim.MaxRatio, w.size)}
}

// zipCount refuses a zip whose directory says it holds more members than
// are left to read, before the directory is read into memory.
func (w *walker) zipCount(data []byte) error {
	n := zipEntries(data)
	if n > uint64(w.lim.MaxMembers-w.seen) {
		return &LimitError{Limit: "members", Max: int64(w.lim.MaxMembers), Msg: fmt.Sprintf("more than %d members (a zip of %d)", w.lim.MaxMembers, n)}
	}
	return nil
}

// zipEntries is how many members the end of a zip's directory says it
// holds (its zip64 record's count past 65,534), 0 when there is no end
// to be found (the zip reader then says what is wrong).
func zipEntries(data []byte) uint64 {
	const (
		eocd, eocdLen   = 0x06054b50, 22
		locator, locLen = 0x07064b50, 20
		eocd64          = 0x06064b50
	)
	le := binary.LittleEndian
	for i := len(data) - eocdLen; i >= 0 && i >= len(data)-eocdLen-0xffff; i-- {
		if le.Uint32(data[i:]) != eocd {
			continue
		}
		n := uint64(le.Uint16(data[i+10:]))
		if n != 0xffff || i < locLen || le.Uint32(data[i-locLen:]) != locator {
			return n
		}
		at := le.Uint64(data[i-locLen+8:])
		if at > uint64(len(data)-56) || le.Uint32(data[at:]) != eocd64 {
			return n
		}
		return le.Uint64(data[at+32:])
	}
	return 0
}

// ctxReader stops reading once ctx is done, so that a member expanding
// for ever is cut short by the job's time limit.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
