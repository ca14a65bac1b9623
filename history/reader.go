package history

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// end is the line a Reader writes after each commit: diff-tree echoes a
// line that names no object, and flushes, so the line marks the end of
// the commit's patch. No line of a patch can be it: every line of a
// file's text starts with '+', '-' or ' ', and names are quoted.
const end = "--forkscan-end-of-commit--"

// restarts is how many times a read asks again after its git was ended
// for another read's sake (a timeout, another commit git could not read).
const restarts = 3

// Reader reads commits' patches from one repository through one `git
// diff-tree --stdin` it keeps running (started at the first read, started
// again after a failure). It is safe for concurrent use, and pipelined:
// each Read writes its commit at once, so git works on the next commit
// while the reader of the last one scans it. Most bounds one commit's
// patch. Close ends its git.
type Reader struct {
	dir   string
	most  int
	split Split

	mu   sync.Mutex
	diff []string // diffArgs, once the repository's settings are read
	git  *stream  // nil until the first read, and after Close
}

// NewReader returns a reader of the repository dir (Repo.Dir) whose reads
// hold at most most bytes of patch; split is the one the jobs were made
// with.
func NewReader(dir string, most int, split Split) *Reader {
	return &Reader{dir: dir, most: most, split: split}
}

// Read reads job's patch. A patch longer than the reader's bound is
// ErrTooLarge; git's failure (a corrupt or missing object) is ErrGit.
func (r *Reader) Read(ctx context.Context, job Job) (Patch, error) {
	switch {
	case job.Commit == Staged || job.Commit == Uncommitted:
		return r.readPending(ctx, job.Commit == Staged)
	case job.Parts > 0:
		return r.readPart(ctx, job)
	}
	out, err := r.stream(ctx, job.Commit)
	if err != nil {
		return Patch{}, err
	}
	p := parsePatch(out) // copies what it keeps
	putBuffer(out)
	return p, nil
}

// stream asks the running diff-tree for commit's patch, and waits for
// it or for ctx to end (which ends that git: the reads queued behind
// this one ask a new one).
func (r *Reader) stream(ctx context.Context, commit string) ([]byte, error) {
	for range restarts + 1 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := r.running(ctx)
		if err != nil {
			return nil, err
		}
		reply := s.ask(commit)
		select {
		case rep := <-reply:
			if errors.Is(rep.err, errRestart) {
				continue
			}
			return rep.out, rep.err
		case <-ctx.Done():
			s.abort()
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("%w: diff-tree of %s: its git ended %d times for other commits' sake", ErrGit, commit, restarts+1)
}

// running is the reader's git, started if it has none or it has ended.
func (r *Reader) running(ctx context.Context) (*stream, error) {
	args := append(append([]string{"diff-tree", "--stdin"}, r.diffArgs(ctx)...), format)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.git != nil && !r.git.ended() {
		return r.git, nil
	}
	s, err := startStream(r.dir, r.most, args)
	if err != nil {
		return nil, err
	}
	r.git = s
	return s, nil
}

// Close ends the reader's git; a later Read starts another.
func (r *Reader) Close() {
	r.mu.Lock()
	s := r.git
	r.git = nil
	r.mu.Unlock()
	if s != nil {
		s.close()
	}
}

// errRestart is the answer to a read whose git was ended for another
// read's sake: it asks a new git.
var errRestart = errors.New("history: git restarted")

// stream is one running diff-tree: reads are written to it in order, and
// one goroutine reads its answers in the same order.
type stream struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *lockedBuf
	most   int
	done   chan struct{} // closed when the answers end
	write  sync.Mutex    // held while a read is queued and written

	mu      sync.Mutex
	queue   []chan reply // asked, not answered, in order
	aborted bool         // ended for a read's timeout: every read queued asks again
	over    bool         // the answers have ended
}

type reply struct {
	out []byte
	err error
}

func startStream(dir string, most int, args []string) (*stream, error) {
	cmd := Command(context.Background(), dir, readerConfig, args...)
	s := &stream{cmd: cmd, stderr: &lockedBuf{}, most: most, done: make(chan struct{})}
	var err error
	if s.in, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	go s.answer(bufio.NewReaderSize(out, 64<<10))
	return s, nil
}

// ask writes commit and the end line, and returns where its answer
// comes.
func (s *stream) ask(commit string) <-chan reply {
	c := make(chan reply, 1)
	s.write.Lock() // the queue's order is the order of the writes
	defer s.write.Unlock()
	s.mu.Lock()
	if s.over {
		s.mu.Unlock()
		c <- reply{err: errRestart}
		return c
	}
	s.queue = append(s.queue, c) // before the write: its answer may come at once
	s.mu.Unlock()
	// Written without mu: a write that waits for git, which waits for its
	// answers to be read, must not keep their reader from the queue. A
	// failed write is git's end, which the reader of the answers reports.
	_, _ = fmt.Fprintf(s.in, "%s\n%s\n", commit, end)
	return c
}

// answer reads the answers, one per read in order, until git ends; then
// the read at the head of the queue gets git's error, and the rest ask
// again.
func (s *stream) answer(out *bufio.Reader) {
	defer close(s.done)
	for {
		patch, err := readAnswer(out, s.most)
		s.mu.Lock()
		if len(s.queue) == 0 { // an answer no read waits for: git is at its end
			s.over = true
			s.mu.Unlock()
			return
		}
		head := s.queue[0]
		if err != nil && !errors.Is(err, ErrTooLarge) {
			s.over = true
			rest, aborted := s.queue[1:], s.aborted
			s.queue = nil
			s.mu.Unlock()
			_ = s.in.Close()
			_ = s.cmd.Wait() // its stderr is whole once it has been waited for
			head <- reply{err: s.failure(err, aborted)}
			for _, c := range rest {
				c <- reply{err: errRestart}
			}
			return
		}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		head <- reply{out: patch, err: err}
	}
}

func (s *stream) failure(err error, aborted bool) error {
	if aborted {
		return errRestart
	}
	return fmt.Errorf("%w: diff-tree: %v: %s", ErrGit, err, s.stderr.String())
}

// readAnswer reads up to the end line: a patch, or ErrTooLarge past most
// bytes (read to its end all the same).
func readAnswer(out *bufio.Reader, most int) ([]byte, error) {
	buf := getBuffer()
	over := false
	for {
		line, err := out.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("git ended (%w)", err)
		}
		if err == nil && len(line) == len(end)+1 && string(line[:len(end)]) == end {
			break
		}
		if len(buf)+len(line) > most {
			over = true
		}
		if !over {
			buf = append(buf, line...)
		}
	}
	if over {
		putBuffer(buf)
		return nil, fmt.Errorf("%w: a patch longer than %d bytes", ErrTooLarge, most)
	}
	return buf, nil
}

// mostPooled bounds the buffers kept for the next answers: a rare huge
// patch's buffer goes to the collector.
const mostPooled = 4 << 20

// buffers hold patches between a read's answer and its parse, which
// copies what it keeps: a worker reading thousands of patches grows a
// few buffers instead of one per patch.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

func getBuffer() []byte { return (*buffers.Get().(*[]byte))[:0] }

func putBuffer(b []byte) {
	if cap(b) == 0 || cap(b) > mostPooled {
		return
	}
	buffers.Put(&b)
}

func (s *stream) ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.over || s.aborted
}

// abort ends git for a read whose context ended: the reads queued behind
// it ask a new git.
func (s *stream) abort() {
	s.mu.Lock()
	s.aborted = true
	s.mu.Unlock()
	_ = s.cmd.Process.Kill()
}

// close ends git and waits for the answers to end.
func (s *stream) close() {
	s.mu.Lock()
	s.aborted = true
	s.mu.Unlock()
	_ = s.in.Close()
	_ = s.cmd.Process.Kill()
	<-s.done
	_ = s.cmd.Wait()
}

// lockedBuf keeps the first KiB a git writes to its stderr, for its error.
type lockedBuf struct {
	mu  sync.Mutex
	buf bounded
}

func (b *lockedBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.most = 1024
	return b.buf.Write(p)
}

func (b *lockedBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return firstLines(strings.TrimSpace(b.buf.String()), 3)
}
