package workerproc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/worker/scan"
)

// binarySniff is how much of a file is searched for a NUL byte to call it
// binary, as git does.
const binarySniff = 8000

// keepBuffer is the largest read buffer a task keeps for its next file;
// a larger one, made for a big file, is left to the garbage collector.
const keepBuffer = 4 << 20

// parse reads the job's file once for all the job's scanners, into *buf
// (grown as needed, kept for the next file up to keepBuffer). The file is
// opened beneath its root (package beneath: never through a symlink out
// of it, whatever changed since the walk), without blocking on a FIFO or
// a device, and anything but a regular file is skipped. It returns an
// error for a file that cannot be read, or a skip reason for one that
// should not be.
//
// It reads the descriptor directly, not through an *os.File: four system
// calls for most files (openat2, fstat, one read, close), where os.File
// adds a registration with the runtime's poller that fails for regular
// files, a second read to see the end, and a finalizer.
func parse(f *scan.File, maxSize int64, buf *[]byte) (*scan.Error, string) {
	file, err := f.Open()
	if err != nil {
		return refused(err)
	}
	defer file.Close()
	if maxSize > 0 && file.Size() > maxSize {
		return nil, tooLarge(file.Size(), maxSize)
	}
	data, err := readAll(file.Fd(), file.Size(), maxSize, buf)
	if err != nil {
		return scan.AsError(&fs.PathError{Op: "read", Path: f.Name(), Err: err}), ""
	}
	if maxSize > 0 && int64(len(data)) > maxSize {
		return nil, tooLarge(int64(len(data)), maxSize)
	}
	f.Data = data
	f.Size = int64(len(data))
	f.Binary = bytes.IndexByte(data[:min(len(data), binarySniff)], 0) >= 0
	f.SHA256 = sha256.Sum256(data)
	return nil, ""
}

// refused is the error or skip reason of a file that could not be
// opened: one that leads outside its root, or is not a regular file, is
// skipped with the reason; anything else is an error.
func refused(err error) (*scan.Error, string) {
	var e *scan.Error
	var pe *fs.PathError
	switch {
	case errors.As(err, &e):
		return e, ""
	case errors.Is(err, beneath.ErrOutside):
		return nil, SkipOutside
	case errors.Is(err, beneath.ErrNotRegular) && errors.As(err, &pe):
		return nil, pe.Err.Error() // "not a regular file (named pipe)"
	}
	return scan.AsError(err), ""
}

// SkipOutside is the skip reason of a file whose path leads outside its
// root when the worker opens it: a symlink swapped in since the walk.
const SkipOutside = "refused: its path leads outside the scanned root"

// readAll reads fd to its end into *buf, expecting size bytes: one read
// does it, unless the file grew since it was stat'ed. It stops a byte past
// maxSize, if that is positive.
func readAll(fd int, size, maxSize int64, buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	if want := int(size) + 1; cap(b) < want { // one more: a read that fills it means the file grew
		b = make([]byte, 0, want)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, err
		}
		b = b[:len(b)+n]
		if n == 0 || (len(b) < cap(b) && int64(len(b)) == size) || (maxSize > 0 && int64(len(b)) > maxSize) {
			break
		}
	}
	if cap(b) <= keepBuffer {
		*buf = b
	}
	return b, nil
}

func tooLarge(size, maxSize int64) string {
	return fmt.Sprintf("file too large (%d bytes, limit %d)", size, maxSize)
}
