package workerproc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/worker/scan"
)

// binarySniff is how much of a file is searched for a NUL byte to call it
// binary, as git does.
const binarySniff = 8000

// keepBuffer is the largest read buffer a task keeps for its next file;
// a larger one, made for a big file, is left to the garbage collector.
const keepBuffer = 4 << 20

// parse reads the file named name once for all the job's scanners, into *buf (grown as
// needed, kept for the next file up to keepBuffer). It never blocks on a
// FIFO or a device: the file is opened non-blocking and anything but a
// regular file is skipped. It returns an error for a file that cannot be
// read, or a skip reason for one that should not be.
//
// It works on the descriptor directly, not through an *os.File: four
// system calls for most files (open, fstat, one read, close), where
// os.File adds a registration with the runtime's poller that fails for
// regular files, a second read to see the end, and a finalizer.
func parse(f *scan.File, name string, maxSize int64, buf *[]byte) (*scan.Error, string) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return scan.AsError(&fs.PathError{Op: "open", Path: name, Err: err}), ""
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return scan.AsError(&fs.PathError{Op: "stat", Path: name, Err: err}), ""
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Sprintf("not a regular file (%s)", fileType(st.Mode))
	}
	if maxSize > 0 && st.Size > maxSize {
		return nil, tooLarge(st.Size, maxSize)
	}
	data, err := readAll(fd, st.Size, maxSize, buf)
	if err != nil {
		return scan.AsError(&fs.PathError{Op: "read", Path: name, Err: err}), ""
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

func fileType(mode uint32) os.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

func tooLarge(size, maxSize int64) string {
	return fmt.Sprintf("file too large (%d bytes, limit %d)", size, maxSize)
}
