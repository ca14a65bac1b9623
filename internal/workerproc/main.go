package workerproc

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/forkscan/forkscan/internal/sched"
	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/taskboard"
	"github.com/forkscan/forkscan/ipc"
)

// LineEnv names the environment variable that holds the file descriptor of
// the worker's semaphore line (see semline.Line).
const LineEnv = "FORKSCAN_LINE_FD"

// LifelineEnv names the environment variable that holds the file descriptor
// of the worker's lifeline: the read end of a pipe whose write end only the
// parent holds. EOF on it means the parent is gone, and the worker exits.
const LifelineEnv = "FORKSCAN_LIFELINE_FD"

// BoardEnv names the environment variable that holds the file descriptor
// of the worker's board (see taskboard.Board), where its tasks record the jobs
// they run.
const BoardEnv = "FORKSCAN_BOARD_FD"

// exit is a test seam for os.Exit.
var exit = os.Exit

// Main serves as a worker and exits if this process was started as one by a
// forkscan parent; otherwise it returns at once. Call it first in main (and
// in TestMain of tests that spawn workers from the test binary), before
// anything prints to stdout: stdout carries the handshake.
func Main() {
	if !ipc.IsWorker() {
		return
	}
	if err := guardStdout(); err != nil {
		fmt.Fprintln(os.Stderr, "forkscan worker:", err)
		exit(1)
	}
	if err := sched.Batch(); err != nil { // batch work, and its gits and tools with it
		slog.Debug("running as batch work", "error", err)
	}
	watchLifeline()
	tuneGC()
	line, err := inheritedLine()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkscan worker:", err)
		exit(1)
	}
	board, err := inheritedBoard()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkscan worker:", err)
		exit(1)
	}
	ipc.Serve(func(s ipc.WorkerStream) error { return Serve(s, line, board) })
	exit(0)
}

// tuneGC raises the GC target of a worker whose user did not set one. A
// worker's live heap is small (a window of jobs and the file being read),
// so the default target makes it collect many times a second for no gain;
// a memory cap (GOMEMLIMIT) still bounds it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// guardStdout keeps the handshake line safe from whatever else the process
// prints. The original stdout is kept, privately, for go-plugin's handshake
// line; file descriptor 1 is pointed at stderr, so that even a raw write to
// fd 1 (from cgo, or a child process inheriting it) lands in the worker's
// log instead of the protocol. After the handshake go-plugin replaces
// os.Stdout with a pipe of its own.
func guardStdout() error {
	hs, err := syscall.Dup(1)
	if err != nil {
		return fmt.Errorf("keeping stdout for the handshake: %w", err)
	}
	syscall.CloseOnExec(hs)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		return fmt.Errorf("pointing stdout at stderr: %w", err)
	}
	os.Stdout = os.NewFile(uintptr(hs), "/dev/stdout")
	return nil
}

// inheritedLine opens the semaphore line the parent passed down, if any.
func inheritedLine() (*semline.Line, error) {
	fd, err := inheritedFD(LineEnv)
	if fd == 0 || err != nil {
		return nil, err
	}
	return semline.New(uintptr(fd))
}

// inheritedBoard maps the board the parent passed down, if any.
func inheritedBoard() (*taskboard.Board, error) {
	fd, err := inheritedFD(BoardEnv)
	if fd == 0 || err != nil {
		return nil, err
	}
	return taskboard.Open(uintptr(fd))
}

// inheritedFD returns the descriptor named by environment variable env, or
// 0 if it is not set.
func inheritedFD(env string) (int, error) {
	v := os.Getenv(env)
	if v == "" {
		return 0, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return 0, fmt.Errorf("bad %s=%q", env, v)
	}
	return fd, nil
}

// watchLifeline exits the process when the parent's end of the lifeline
// closes, which the kernel does when the parent dies, however it dies.
func watchLifeline() {
	fd, err := strconv.Atoi(os.Getenv(LifelineEnv))
	if err != nil || fd < 3 {
		return
	}
	f := os.NewFile(uintptr(fd), "lifeline")
	go func() {
		_, _ = io.Copy(io.Discard, f)
		fmt.Fprintln(os.Stderr, "forkscan worker: parent is gone, exiting")
		exit(1)
	}()
}
