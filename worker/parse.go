package worker

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/forkscan/forkscan/worker/scan"
)

// binarySniff is how much of a file is searched for a NUL byte to call it
// binary, as git does.
const binarySniff = 8000

// parse reads f.Path once for all the job's scanners. It never blocks on a
// FIFO or a device: the file is opened non-blocking and anything but a
// regular file is skipped. It returns an error for a file that cannot be
// read, or a skip reason for one that should not be.
func parse(f *scan.File, maxSize int64) (*scan.Error, string) {
	fd, err := os.OpenFile(f.Path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return scan.AsError(err), ""
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return scan.AsError(err), ""
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Sprintf("not a regular file (%s)", st.Mode().Type())
	}
	if maxSize > 0 && st.Size() > maxSize {
		return nil, tooLarge(st.Size(), maxSize)
	}
	var r io.Reader = fd
	if maxSize > 0 {
		r = io.LimitReader(fd, maxSize+1) // the file may grow after stat
	}
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(r); err != nil {
		return scan.AsError(err), ""
	}
	if maxSize > 0 && int64(buf.Len()) > maxSize {
		return nil, tooLarge(int64(buf.Len()), maxSize)
	}
	f.Data = buf.Bytes()
	f.Size = int64(len(f.Data))
	f.Binary = bytes.IndexByte(f.Data[:min(len(f.Data), binarySniff)], 0) >= 0
	f.SHA256 = sha256.Sum256(f.Data)
	return nil, ""
}

func tooLarge(size, maxSize int64) string {
	return fmt.Sprintf("file too large (%d bytes, limit %d)", size, maxSize)
}
