package history

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
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
}

// Open checks that path is a git repository git can read and returns it,
// with one git (two for a bare repository). A path that is not one is
// ErrNotRepository, with git's reason.
func Open(ctx context.Context, path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotRepository, path, err)
	}
	args := []string{"rev-parse", "--is-bare-repository", "--is-shallow-repository", "--absolute-git-dir", "--show-toplevel"}
	out, err := output(ctx, abs, 1<<16, args...)
	if err != nil && ctx.Err() == nil { // --show-toplevel fails in a bare repository
		out, err = output(ctx, abs, 1<<16, args[:4]...)
	}
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
	return r, nil
}

// Head is the commit HEAD names and its branch ("" when detached), or
// two empty strings in a repository with no commit.
func (r *Repo) Head(ctx context.Context) (commit, branch string) {
	if head, err := output(ctx, r.Dir, 1024, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		commit = string(bytes.TrimSpace(head))
	}
	if b, err := output(ctx, r.Dir, 1024, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		branch = string(bytes.TrimSpace(b))
	}
	return commit, branch
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

// Clone makes a bare clone of the remote at url in dir (which must not
// exist), with every branch and tag, for a scan of its history. Only the
// protocol of url's scheme is allowed for it (protocol.allow is never for
// the rest, so a submodule, a redirect or an alternate cannot reach a
// file or run a program), HTTP redirects are not followed, nothing is
// checked out and no hook runs. A clone that writes more than most bytes
// is stopped: ErrTooLarge.
func Clone(ctx context.Context, url, dir string, most int64) error {
	scheme, _, ok := strings.Cut(url, "://")
	if !ok || strings.ContainsAny(scheme, ":/\\") {
		return fmt.Errorf("%w: %q is not a URL", ErrNotRepository, url)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	extra := []string{"protocol." + scheme + ".allow=always", "http.followRedirects=false", "core.askPass=", "credential.interactive=false"}
	cmd := Command(ctx, filepath.Dir(dir), extra, "clone", "--bare", "--quiet", "--no-hardlinks", "--", url, dir)
	var errOut bounded
	errOut.most = 4096
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrGit, err)
	}
	over := watchSize(ctx, dir, most, cancel)
	err := cmd.Wait()
	switch {
	case over():
		return fmt.Errorf("%w: the clone of %s grew past %d bytes", ErrTooLarge, url, most)
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &GitError{Args: []string{"clone", url}, Stderr: strings.TrimSpace(errOut.String()), Err: err}
	}
	return nil
}

// watchSize checks the size of dir every quarter second and calls stop
// once it is past most; the function it returns reports whether it was.
func watchSize(ctx context.Context, dir string, most int64, stop func()) func() bool {
	var over atomic.Bool
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if most > 0 && dirSize(dir) > most {
				over.Store(true)
				stop()
				return
			}
		}
	}()
	return over.Load
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
