package ipc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"google.golang.org/protobuf/proto"
)

// maxFrame bounds one message on a Line.
const maxFrame = 1 << 20

// ErrFrame is returned for a frame over the size limit.
var ErrFrame = errors.New("ipc: line frame too large")

// Line is the dedicated connection for semaphore traffic between the parent
// and one worker: length-prefixed protobuf messages over one end of a Unix
// socketpair. Semaphore calls are round trips that a scanner waits on, and
// a bare socket answers several times faster than the gRPC stream, which
// hands each message across more goroutines (BenchmarkSemaphore; measured
// figures in the README). Jobs and results stay on the stream, where
// batching matters and latency does not.
//
// Writes may come from several goroutines; reads from one.
type Line struct {
	f   *os.File
	r   *bufio.Reader
	wmu sync.Mutex
	buf []byte
}

// LinePair returns the two ends of a new line: one for this process, and a
// file for a child process (its ExtraFiles), which makes a Line of it with
// NewLine.
func LinePair() (*Line, *os.File, error) {
	ours, theirs, err := socketpair()
	if err != nil {
		return nil, nil, err
	}
	return ours, os.NewFile(uintptr(theirs), "forkscan-line"), nil
}

// LocalLinePair returns both ends of a new line, for a worker that runs in
// this process.
func LocalLinePair() (*Line, *Line, error) {
	ours, theirs, err := socketpair()
	if err != nil {
		return nil, nil, err
	}
	other, err := fileLine(theirs)
	if err != nil {
		_ = ours.Close()
		return nil, nil, err
	}
	return ours, other, nil
}

// socketpair makes a Unix socketpair and a Line of its first end.
func socketpair() (*Line, int, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("ipc: socketpair: %w", err)
	}
	line, err := fileLine(fds[0])
	if err != nil {
		_ = syscall.Close(fds[1])
		return nil, 0, err
	}
	return line, fds[1], nil
}

// NewLine makes a Line of an inherited file descriptor or of a LinePair's
// file. It takes the descriptor over: closing the Line closes it.
func NewLine(fd uintptr) (*Line, error) { return fileLine(int(fd)) }

func fileLine(fd int) (*Line, error) {
	// Non-blocking, so the runtime's poller serves it and Close ends a Read.
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("ipc: line: %w", err)
	}
	f := os.NewFile(uintptr(fd), "forkscan-line")
	return &Line{f: f, r: bufio.NewReader(f)}, nil
}

// Write sends m as one frame.
func (l *Line) Write(m proto.Message) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	size := proto.Size(m)
	if size > maxFrame {
		return fmt.Errorf("%w: %d bytes", ErrFrame, size)
	}
	b := binary.AppendUvarint(l.buf[:0], uint64(size))
	b, err := proto.MarshalOptions{}.MarshalAppend(b, m)
	if err != nil {
		return err
	}
	l.buf = b
	_, err = l.f.Write(b)
	return err
}

// Read reads the next frame into m. It returns io.EOF when the other end is
// closed, and an error once this end is.
func (l *Line) Read(m proto.Message) error {
	size, err := binary.ReadUvarint(l.r)
	if err != nil {
		return err
	}
	if size > maxFrame {
		return fmt.Errorf("%w: %d bytes", ErrFrame, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(l.r, b); err != nil {
		return err
	}
	return proto.Unmarshal(b, m)
}

// Close closes this end; a Read in progress returns.
func (l *Line) Close() error { return l.f.Close() }
