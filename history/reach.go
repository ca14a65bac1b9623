package history

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// Reached returns those of the commits named in among that revs reach:
// the commits List would read. It streams `git rev-list` over the same
// revisions and holds nothing but the names asked about, however long
// the history. A resumed scan asks it to drop the records of commits its
// revisions no longer reach (a branch deleted or rewritten, a narrower
// range), as a scan of a tree drops the records of files that vanished.
func (r *Repo) Reached(ctx context.Context, revs Revisions, among map[string]bool) (map[string]bool, error) {
	gitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	args := append(append([]string{"rev-list"}, revs.args()...), "--")
	cmd := Command(gitCtx, r.Dir, nil, args...)
	var stderr bounded
	stderr.most = 4096
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	reached := map[string]bool{}
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 0, 128), 128) // an object name, "-" before a boundary's
	for lines.Scan() {
		if id := strings.TrimPrefix(lines.Text(), "-"); among[id] {
			reached[id] = true
		}
	}
	readErr := lines.Err()
	if readErr != nil {
		cancel() // git would wait on the pipe no one reads
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case readErr != nil:
		return nil, fmt.Errorf("%w: rev-list: %v", ErrGit, readErr)
	case waitErr != nil:
		return nil, &GitError{Args: args, Stderr: stderr.String(), Err: waitErr}
	}
	return reached, nil
}
