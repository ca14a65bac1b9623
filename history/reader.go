package history

import (
	"bufio"
	"bytes"
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

// Reader reads commits' patches from one repository, one job at a time,
// through one `git diff-tree --stdin` it keeps running (started at the
// first read, started again after a failure). Most bounds one commit's
// patch. A Reader is not safe for concurrent use; Close ends its git.
type Reader struct {
	dir   string
	most  int
	split Split
	diff  []string // diffArgs, once the repository's settings are read

	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuf
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
	return parsePatch(out), nil
}

// stream asks the running diff-tree for commit's patch.
func (r *Reader) stream(ctx context.Context, commit string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.cmd == nil {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	proc := r.cmd.Process
	stop := context.AfterFunc(ctx, func() { _ = proc.Kill() })
	out, err := r.ask(commit)
	if !stop() || ctx.Err() != nil {
		r.Close()
		return nil, ctx.Err()
	}
	if errors.Is(err, errEnded) {
		said := r.stderr
		r.Close() // its stderr is whole once it has been waited for
		return nil, fmt.Errorf("%w: diff-tree of %s: %v: %s", ErrGit, commit, err, said.String())
	}
	return out, err
}

// errEnded is a diff-tree that ended before it answered.
var errEnded = errors.New("git ended")

func (r *Reader) start() error {
	args := append(append([]string{"diff-tree", "--stdin"}, r.diffArgs(context.Background())...), format)
	cmd := Command(context.Background(), r.dir, readerConfig, args...)
	var err error
	if r.in, err = cmd.StdinPipe(); err != nil {
		return fmt.Errorf("%w: %v", ErrGit, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrGit, err)
	}
	r.stderr = &lockedBuf{}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrGit, err)
	}
	r.cmd, r.out = cmd, bufio.NewReaderSize(out, 64<<10)
	return nil
}

// ask writes the commit and the end line, and reads up to the end line.
func (r *Reader) ask(commit string) ([]byte, error) {
	if _, err := fmt.Fprintf(r.in, "%s\n%s\n", commit, end); err != nil {
		return nil, fmt.Errorf("%w (writing to it: %v)", errEnded, err)
	}
	var buf []byte
	over := false
	for {
		line, err := r.out.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w (%v)", errEnded, err)
		}
		if err == nil && len(line) == len(end)+1 && string(line[:len(end)]) == end {
			break
		}
		if len(buf)+len(line) > r.most {
			over = true
		}
		if !over {
			buf = append(buf, line...)
		}
	}
	if over {
		return nil, fmt.Errorf("%w: the patch of %s is longer than %d bytes", ErrTooLarge, commit, r.most)
	}
	return bytes.TrimLeft(buf, "\n"), nil // diff-tree parts one commit's output from the last by a blank line
}

func (r *Reader) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
	}
}

// Close ends the reader's git; a later Read starts another.
func (r *Reader) Close() {
	if r.cmd == nil {
		return
	}
	_ = r.in.Close()
	r.kill()
	_ = r.cmd.Wait()
	r.cmd, r.in, r.out = nil, nil, nil
}
