package semline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

// maxFrame bounds one message on a Line.
const maxFrame = 1 << 20

// ErrFrame is returned for a frame over the size limit.
var ErrFrame = errors.New("semline: frame too large")

// Line is one end of the dedicated connection for semaphore traffic between
// the parent and one worker: length-prefixed protobuf messages over a Unix
// socketpair.
//
// Writes may come from several goroutines; reads from one at a time.
type Line struct {
	f   *os.File
	raw syscall.RawConn // f's descriptor, for poll(2) and shutdown(2)
	r   *bufio.Reader
	wmu sync.Mutex
	buf []byte
	// local: both ends are in this process (LocalPair).
	local bool
}

// Pair returns the two ends of a new line: one for this process, and a
// file for a child process (its ExtraFiles), which makes a Line of it with
// New.
func Pair() (*Line, *os.File, error) {
	ours, theirs, err := socketpair()
	if err != nil {
		return nil, nil, err
	}
	return ours, os.NewFile(uintptr(theirs), "forkscan-line"), nil
}

// LocalPair returns both ends of a new line, for a worker that runs in
// this process.
func LocalPair() (*Line, *Line, error) {
	ours, theirs, err := socketpair()
	if err != nil {
		return nil, nil, err
	}
	other, err := fileLine(theirs)
	if err != nil {
		_ = ours.Close()
		return nil, nil, err
	}
	ours.local, other.local = true, true
	return ours, other, nil
}

// Local reports whether both ends of the line are in this process
// (LocalPair): a goroutine that waits on it in WaitReadable would keep
// from running the goroutines that answer it.
func (l *Line) Local() bool { return l.local }

// socketpair makes a Unix socketpair and a Line of its first end.
func socketpair() (*Line, int, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("semline: socketpair: %w", err)
	}
	line, err := fileLine(fds[0])
	if err != nil {
		_ = syscall.Close(fds[1])
		return nil, 0, err
	}
	return line, fds[1], nil
}

// New makes a Line of an inherited file descriptor (a Pair's file passed
// to a child). It takes the descriptor over: closing the Line
// closes it. (In the process that holds the *os.File, use a dup of its
// descriptor: the file's finalizer closes its own.)
func New(fd uintptr) (*Line, error) { return fileLine(int(fd)) }

func fileLine(fd int) (*Line, error) {
	// Non-blocking, so the runtime's poller serves it and Close ends a Read.
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("semline: %w", err)
	}
	f := os.NewFile(uintptr(fd), "forkscan-line")
	raw, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("semline: %w", err)
	}
	return &Line{f: f, raw: raw, r: bufio.NewReader(f)}, nil
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

// WaitReadable blocks the calling goroutine's thread in poll(2), not in
// the runtime's poller, until the line has bytes to read or wake (a file
// descriptor; -1 for none) is readable, and reports whether the line is.
// A thread asleep in poll is woken by the kernel itself when a frame
// arrives, with no hand-off through the poller's thread and the scheduler:
// a worker's semaphore grant reaches its scanner sooner this way
// (BenchmarkSemaphore). The thread keeps its P meanwhile, until the
// runtime's monitor hands the P to another thread (after 20 µs or more),
// so this suits a goroutine that has nothing else to do but wait. A closed
// or shut line is readable: the Read that follows says how it ended.
func (l *Line) WaitReadable(wake int) (readable bool, err error) {
	if l.r.Buffered() > 0 {
		return true, nil
	}
	// Inside Control the descriptor cannot be closed and reused.
	ctlErr := l.raw.Control(func(fd uintptr) { readable, err = poll(int(fd), wake) })
	if ctlErr != nil {
		return true, nil // closed: the Read that follows says so
	}
	return readable, err
}

func poll(fd, wake int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if wake >= 0 {
		fds = append(fds, unix.PollFd{Fd: int32(wake), Events: unix.POLLIN})
	}
	for {
		_, err := unix.Poll(fds, -1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return false, fmt.Errorf("semline: poll: %w", err)
		case fds[0].Revents != 0:
			return true, nil
		case len(fds) > 1 && fds[1].Revents != 0:
			return false, nil
		}
	}
}

// Close closes this end. A Read in progress returns, and so does a
// WaitReadable: the socket is shut down first, which poll sees (closing a
// descriptor does not wake a thread polling it).
func (l *Line) Close() error {
	_ = l.raw.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RDWR) })
	return l.f.Close()
}
