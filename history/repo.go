package history

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Repo is a git repository, checked.
type Repo struct {
	// Dir is the directory git runs in: the top of the work tree, or the
	// repository itself when it is bare; absolute.
	Dir string
	// Bare reports a repository with no work tree.
	Bare bool
	// Shallow reports a shallow clone: its history ends at its grafts.
	Shallow bool
	// Head is the commit HEAD names, "" in a repository with no commit.
	Head string
	// Branch is the branch HEAD names, "" when detached.
	Branch string
}

// Open checks that path is a git repository git can read and returns it.
// A path that is not one is ErrNotRepository, with git's reason.
func Open(ctx context.Context, path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotRepository, path, err)
	}
	out, err := output(ctx, abs, 1<<16, "rev-parse", "--is-bare-repository", "--is-shallow-repository", "--absolute-git-dir", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNotRepository, path, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: %s: git rev-parse said %q", ErrNotRepository, path, out)
	}
	r := &Repo{Bare: lines[0] == "true", Shallow: lines[1] == "true", Dir: lines[2]}
	if !r.Bare && len(lines) > 3 {
		r.Dir = lines[3]
	}
	if head, err := output(ctx, r.Dir, 1024, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		r.Head = string(bytes.TrimSpace(head))
	}
	if b, err := output(ctx, r.Dir, 1024, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		r.Branch = string(bytes.TrimSpace(b))
	}
	return r, nil
}

// Remote is the URL of the named remote without credentials (a URL's
// user and password dropped; "user@host:path" written as an ssh URL), or
// "" if it has none or it is not a URL.
func (r *Repo) Remote(ctx context.Context, name string) string {
	out, err := output(ctx, r.Dir, 4096, "config", "--get", "remote."+name+".url")
	if err != nil {
		return ""
	}
	raw := string(bytes.TrimSpace(out))
	if host, path, ok := strings.Cut(raw, ":"); ok && !strings.Contains(raw, "://") && !strings.ContainsAny(host, "/") {
		_, host, _ = strings.Cut(host, "@")
		raw = "ssh://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Scheme == "file" || u.Host == "" {
		return ""
	}
	u.User = nil
	return u.String()
}
