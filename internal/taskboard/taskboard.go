package taskboard

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Board is a small table in memory shared by the parent and one worker: for
// each of the worker's tasks, the job it is running and since when. It is a
// memfd both map.
//
// The worker writes (Begin, End); the parent reads (Running). Reads after
// Close find nothing.
type Board struct {
	mu    sync.RWMutex // Close against reads; the worker's writes take no lock
	words []uint64     // per task: job id, start (Unix ns)
	mem   []byte       // the mapping, nil for a board in this process's memory
}

// Entry is one task's running job.
type Entry struct {
	Task  int
	Job   uint64
	Since time.Time
}

// New makes a board for a worker process of tasks tasks, and returns the
// file to pass to it (ExtraFiles), which it opens with Open.
func New(tasks int) (*Board, *os.File, error) {
	fd, err := unix.MemfdCreate("forkscan-board", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("taskboard: %w", err)
	}
	f := os.NewFile(uintptr(fd), "forkscan-board")
	if err := f.Truncate(int64(16 * max(tasks, 1))); err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("taskboard: %w", err)
	}
	b, err := mapBoard(fd)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return b, f, nil
}

// Open maps the board a parent passed down as file descriptor fd.
func Open(fd uintptr) (*Board, error) {
	defer syscall.Close(int(fd)) // the mapping outlives the descriptor
	return mapBoard(int(fd))
}

func mapBoard(fd int) (*Board, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("taskboard: %w", err)
	}
	if st.Size < 16 || st.Size%16 != 0 {
		return nil, fmt.Errorf("taskboard: size %d is not a whole number of task entries", st.Size)
	}
	mem, err := syscall.Mmap(fd, 0, int(st.Size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("taskboard: mmap: %w", err)
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), len(mem)/8)
	return &Board{words: words, mem: mem}, nil
}

// Local returns a board in this process's memory, for a worker that runs
// in this process.
func Local(tasks int) *Board { return &Board{words: make([]uint64, 2*max(tasks, 1))} }

// Tasks returns how many tasks the board has room for.
func (b *Board) Tasks() int { return len(b.words) / 2 }

// Begin records that task now runs job (not 0), and returns the time it
// recorded. Tasks beyond the board's size are not recorded.
func (b *Board) Begin(task int, job uint64) time.Time {
	now := time.Now()
	if b == nil || task >= b.Tasks() {
		return now
	}
	atomic.StoreUint64(&b.words[2*task+1], uint64(now.UnixNano()))
	atomic.StoreUint64(&b.words[2*task], job)
	return now
}

// End records that task runs nothing.
func (b *Board) End(task int) {
	if b == nil || task >= b.Tasks() {
		return
	}
	atomic.StoreUint64(&b.words[2*task], 0)
}

// Running returns the tasks' running jobs.
func (b *Board) Running() []Entry {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Entry
	for t := range len(b.words) / 2 {
		job := atomic.LoadUint64(&b.words[2*t])
		if job == 0 {
			continue
		}
		since := time.Unix(0, int64(atomic.LoadUint64(&b.words[2*t+1])))
		out = append(out, Entry{Task: t, Job: job, Since: since})
	}
	return out
}

// Close unmaps a shared board; later reads find nothing. A board in this
// process's memory stays as it is, for the worker goroutine that may still
// write it. Safe to call more than once.
func (b *Board) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mem == nil {
		return nil
	}
	mem := b.mem
	b.words, b.mem = nil, nil
	return syscall.Munmap(mem)
}
