package workerproc

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"

	"github.com/forkscan/forkscan/worker/scan"
)

// hashBuffer is the size of a task's buffer for hashing a file that no
// scanner of its job reads (hashFile).
const hashBuffer = 64 << 10

// needHash reports whether a scanner of set hands f on to be read by
// something else (scan.Def.Hash, and scan.Hasher if it is one), so that
// the worker hashes it.
func (s *session) needHash(set uint64, f *scan.File) bool {
	for i := range each(set) {
		b := s.scanners[i]
		if !b.def.Hash {
			continue
		}
		if h, ok := b.sc.(scan.Hasher); !ok || h.Hashes(f) {
			return true
		}
	}
	return false
}

// hashFile returns the SHA-256 of f's file, opened beneath its root as
// the parse step opens it, for the scanners that hand the file on to a
// tool (scan.Def.Hash): it is read just before they run, so that their
// records name the content the tool was given. It returns nil when the
// file cannot be opened or read (the scanner meets the same and says
// so), is larger than maxSize (if positive: a resume does not hash such
// a file either), or ctx ends: the records then carry no SHA-256, and a
// resumed run makes them again.
//
// Its cost is one more read of the file, from the page cache the tool
// reads it from next, and its SHA-256: small beside a tool's start-up.
func (t *task) hashFile(ctx context.Context, f *scan.File, maxSize int64) []byte {
	file, err := f.Open()
	if err != nil {
		return nil
	}
	defer file.Close()
	if maxSize > 0 && file.Size() > maxSize {
		return nil
	}
	if t.hashBuf == nil {
		t.hashBuf = make([]byte, hashBuffer)
	}
	h := sha256.New()
	for n := int64(0); ; {
		k, err := file.Read(t.hashBuf)
		h.Write(t.hashBuf[:k])
		if n += int64(k); maxSize > 0 && n > maxSize || ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return h.Sum(nil)
		}
		if err != nil {
			return nil
		}
	}
}
