package history

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
)

// Commit is a commit to scan, as List finds it: its name and the files
// its patch shows (added, modified, copied or renamed: a deleted file
// adds nothing).
type Commit struct {
	ID string // the full object name, in hex
	// Files counts the files it writes, Size the bytes of their new
	// content, and Largest the largest of them.
	Files         int
	Size, Largest int64
}

// List calls fn with each commit that revs name, in git's order, until
// fn returns false, and returns the commits it passed over (merges and
// commits that write no file: their patch shows nothing). It runs two
// gits, `git log --raw` (no patch is made) and `git cat-file` for the
// sizes (and `git version` once in a process, to know how to ask
// cat-file), and holds one commit at a time. Revisions
// git rejects are ErrRevisions, with git's message.
func (r *Repo) List(ctx context.Context, revs Revisions, fn func(Commit) bool) (empty int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := r.CheckRevisions(ctx, revs); err != nil {
		return 0, err
	}
	args := append([]string{"log", "--no-color", "--format=%x01%H", "--raw", "-r", "--no-abbrev", "--no-renames", "--diff-filter=tuxdb"}, revs.args()...)
	log := Command(ctx, r.Dir, nil, append(args, "--")...)
	var logErr bounded
	logErr.most = 4096
	log.Stderr = &logErr
	logOut, err := log.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrGit, err)
	}
	sizes, err := startSizes(ctx, r.Dir)
	if err != nil {
		return 0, err
	}
	defer sizes.close()
	if err := log.Start(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrGit, err)
	}
	items := make(chan listItem, 256)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(items)
		readErr = readRaw(ctx, logOut, sizes, items)
		_ = sizes.in.Close()
	})
	empty, err = gather(items, sizes, fn)
	cancel()
	wg.Wait()
	waitErr := log.Wait()
	switch {
	case err != nil:
		return empty, err
	case readErr != nil && !errors.Is(readErr, context.Canceled):
		return empty, readErr
	case waitErr != nil && ctx.Err() == nil:
		return empty, &GitError{Args: args, Stderr: logErr.String(), Err: waitErr}
	}
	return empty, nil
}

// CheckRevisions asks git whether it takes revs, so that a range that
// names nothing is a usage error before anything runs: ErrRevisions with
// git's message.
func (r *Repo) CheckRevisions(ctx context.Context, revs Revisions) error {
	if len(revs) == 0 {
		return nil
	}
	args := append(append([]string{"rev-list", "--max-count=1"}, revs...), "--")
	if _, err := output(ctx, r.Dir, 1<<10, args...); err != nil {
		var ge *GitError
		if errors.As(err, &ge) {
			return fmt.Errorf("%w: %s", ErrRevisions, firstLines(ge.Stderr, 2))
		}
		return err
	}
	return nil
}

// listItem is, in order, a commit's start (blob empty) or one of the
// blobs it writes, whose size cat-file answers.
type listItem struct {
	commit string
	blob   bool
}

// readRaw reads `git log --raw` and sends each commit and each blob it
// writes to items, asking sizes for each blob before it is sent on.
func readRaw(ctx context.Context, r io.Reader, sizes *catFile, items chan<- listItem) error {
	br := bufio.NewReaderSize(r, 64<<10)
	q := asker{ctx: ctx, items: items, names: bufio.NewWriterSize(sizes.in, 16<<10), commands: sizes.commands}
	for {
		if buffered, _ := br.Peek(br.Buffered()); bytes.IndexByte(buffered, '\n') < 0 { // the read may wait for git
			if err := q.flush(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) { // a raw line of a huge name: its tail is not needed
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		switch {
		case len(line) > 1 && line[0] == 1:
			if serr := q.send(listItem{commit: string(bytes.TrimSpace(line[1:]))}, nil); serr != nil {
				return serr
			}
		case len(line) > 0 && line[0] == ':':
			if blob, ok := newBlob(line); ok {
				if serr := q.send(listItem{blob: true}, blob); serr != nil {
					return serr
				}
			}
		}
		if err == io.EOF {
			return q.flush()
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// asker sends the listing's items on, and writes the names of their
// blobs to cat-file in batches (one write for many, not one each: a
// listing of 30,000 files made 30,000 writes each way and as many
// wake-ups of both processes), flushed whenever the listing could wait
// (no whole line of git log is read yet, or items is full), so that
// gather never waits for a size not asked.
type asker struct {
	ctx      context.Context
	items    chan<- listItem
	names    *bufio.Writer
	commands bool // catFile.commands
	asked    bool // a name is asked since the last flush
}

// send sends it on, and asks the size of blob, if any.
func (q *asker) send(it listItem, blob []byte) error {
	select {
	case q.items <- it:
	default:
		if err := q.flush(); err != nil {
			return err
		}
		select {
		case q.items <- it:
		case <-q.ctx.Done():
			return q.ctx.Err()
		}
	}
	if blob == nil {
		return nil
	}
	if q.commands {
		_, _ = q.names.WriteString("info ")
	}
	_, _ = q.names.Write(blob)
	q.asked = true
	if err := q.names.WriteByte('\n'); err != nil {
		return q.failed(err)
	}
	return nil
}

func (q *asker) flush() error {
	if q.commands && q.asked {
		_, _ = q.names.WriteString("flush\n")
	}
	q.asked = false
	if err := q.names.Flush(); err != nil {
		return q.failed(err)
	}
	return nil
}

// failed is a write to cat-file that failed: the listing's end, if it
// was stopped (its gits are killed), else cat-file's failure.
func (q *asker) failed(err error) error {
	if ctxErr := q.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("%w: cat-file: %v", ErrGit, err)
}

// newBlob is the new object a raw line names, if it is a blob (a file,
// not a submodule's commit, not a deletion).
func newBlob(line []byte) ([]byte, bool) {
	// ":100644 100644 <old> <new> M\tpath"
	head := line[1:]
	if i := bytes.IndexByte(head, '\t'); i >= 0 {
		head = head[:i]
	}
	fields := bytes.Fields(head)
	if len(fields) < 5 || bytes.Equal(fields[1], []byte("160000")) {
		return nil, false
	}
	if len(bytes.Trim(fields[3], "0")) == 0 {
		return nil, false
	}
	return fields[3], true
}

// gather reads items and the sizes cat-file answers, in the same order,
// and calls fn with each commit once its blobs are counted.
func gather(items <-chan listItem, sizes *catFile, fn func(Commit) bool) (empty int, err error) {
	var c Commit
	flush := func() bool {
		switch {
		case c.ID == "":
		case c.Files == 0:
			empty++
		default:
			return fn(c)
		}
		return true
	}
	for it := range items {
		if !it.blob {
			if !flush() {
				return empty, nil
			}
			c = Commit{ID: it.commit}
			continue
		}
		size, err := sizes.next()
		if err != nil {
			return empty, err
		}
		c.Files++
		c.Size += size
		c.Largest = max(c.Largest, size)
	}
	flush()
	return empty, nil
}

// catFile is a `git cat-file` that answers object sizes: with
// --batch-command and --buffer where git has them (2.36 on), so that it
// answers a batch of names with one write when told to flush, not one
// write a name; else --batch-check, which answers each name at once.
type catFile struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Reader
	commands bool // --batch-command: names are asked "info NAME", answers flushed by "flush"
}

func startSizes(ctx context.Context, dir string) (*catFile, error) {
	args := []string{"cat-file", "--batch-check=%(objectsize)"}
	commands := gitAtLeast(ctx, dir, 2, 36)
	if commands {
		args = []string{"cat-file", "--batch-command=%(objectsize)", "--buffer"}
	}
	cmd := Command(ctx, dir, nil, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	return &catFile{cmd: cmd, in: in, out: bufio.NewReader(out), commands: commands}, nil
}

// next reads the next size; a missing object (a repository with objects
// missing) counts 0.
func (c *catFile) next() (int64, error) {
	line, err := c.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("%w: cat-file: %v", ErrGit, err)
	}
	n, perr := strconv.ParseInt(line[:len(line)-1], 10, 64)
	if perr != nil {
		return 0, nil // "<name> missing"
	}
	return n, nil
}

func (c *catFile) close() {
	_ = c.in.Close()
	_ = c.cmd.Wait()
}
