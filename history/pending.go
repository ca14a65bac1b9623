package history

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// readPending reads the changes not yet committed: staged (the index
// against HEAD, as `git diff --cached`) or in the work tree (against the
// index, as `git diff`). Every clean or process filter the repository's
// configuration names is turned off for it: comparing the work tree
// would run them.
func (r *Reader) readPending(ctx context.Context, staged bool) (Patch, error) {
	if staged { // the index against HEAD: two blobs each, nothing of the work tree read, no filter run
		args := append(append([]string{"diff-index", "--cached"}, r.diffArgs(ctx)...), "HEAD", "--")
		out, err := boundedRun(ctx, r.dir, nil, r.most, args...)
		if err != nil && ctx.Err() == nil { // no commit yet: all that is staged is added
			empty, herr := output(ctx, r.dir, 1024, "hash-object", "-t", "tree", "/dev/null")
			if herr != nil {
				return Patch{}, herr
			}
			args[len(args)-2] = string(bytes.TrimSpace(empty))
			out, err = boundedRun(ctx, r.dir, nil, r.most, args...)
		}
		if err != nil {
			return Patch{}, err
		}
		return Patch{Changes: changes(out)}, nil
	}
	extra, err := r.noFilters(ctx)
	if err != nil {
		return Patch{}, err
	}
	out, err := boundedRun(ctx, r.dir, extra, r.most, append([]string{"diff-files"}, r.diffArgs(ctx)...)...)
	if err != nil {
		return Patch{}, err
	}
	return Patch{Changes: changes(out)}, nil
}

// noFilters are the settings that turn off every filter driver the
// repository's configuration defines (a clean, smudge or process
// command is a program the repository names).
func (r *Reader) noFilters(ctx context.Context) ([]string, error) {
	out, err := output(ctx, r.dir, 1<<20, "config", "--null", "--name-only", "--get-regexp", `^filter\.`)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	} // no filter at all is exit 1: nothing to turn off
	seen := map[string]bool{}
	var extra []string
	for _, key := range strings.Split(string(out), "\x00") {
		i := strings.LastIndexByte(key, '.')
		if i <= len("filter.") || seen[key[:i]] {
			continue
		}
		seen[key[:i]] = true
		d := key[:i]
		extra = append(extra, d+".clean=", d+".smudge=", d+".process=", d+".required=false")
	}
	return extra, nil
}

// boundedRun runs git and returns its output, at most most bytes.
func boundedRun(ctx context.Context, dir string, extra []string, most int, args ...string) ([]byte, error) {
	cmd := Command(ctx, dir, extra, args...)
	var out bounded
	var errOut bounded
	out.most, errOut.most = most, 4096
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case out.over:
		return nil, fmt.Errorf("%w: git %s wrote more than %d bytes", ErrTooLarge, args[0], most)
	case err != nil:
		return nil, &GitError{Args: args, Stderr: strings.TrimSpace(errOut.String()), Err: err}
	}
	return out.Bytes(), nil
}
