package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/scanrun"
)

// The split of a history's huge commits, as forkscan git splits them.
const (
	partBytes = 8 << 20
	partFiles = 1000
)

// remoteSchemes are the URL schemes a remote may have: none of them
// reaches a file of the server or runs a program.
var remoteSchemes = []string{"https", "http", "ssh", "git"}

// checkRepositories checks a request for histories: each repository a
// path inside a root (the top of its repository too) or a remote URL the
// server allows, and revisions that are revisions.
func (s *Server) checkRepositories(ctx context.Context, req Request) (Request, error) {
	switch {
	case len(req.Paths) > 0:
		return req, fmt.Errorf("%w: a scan has paths or repositories, not both", ErrBadRequest)
	case len(req.Repositories) > s.cfg.MaxPaths:
		return req, fmt.Errorf("%w: %d repositories, at most %d", ErrBadRequest, len(req.Repositories), s.cfg.MaxPaths)
	case len(req.Tools) > 0 || len(req.Include) > 0 || len(req.Exclude) > 0:
		return req, fmt.Errorf("%w: tools, include and exclude are for trees, not histories", ErrBadRequest)
	}
	repos := slices.Clone(req.Repositories)
	for i := range repos {
		r := &repos[i]
		if _, err := history.ParseRevisions(r.Revisions); err != nil {
			return req, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		switch {
		case (r.Path == "") == (r.URL == ""):
			return req, fmt.Errorf("%w: a repository has a path or a URL", ErrBadRequest)
		case r.URL != "":
			if err := s.checkRemote(r.URL); err != nil {
				return req, err
			}
		default:
			dir, err := s.localRepository(ctx, r.Path)
			if err != nil {
				return req, err
			}
			r.Path = dir
		}
	}
	req.Repositories = repos
	return req, nil
}

// localRepository is the top of the repository at p, which must lie in
// a root, as its path does.
func (s *Server) localRepository(ctx context.Context, p string) (string, error) {
	abs, err := s.inRoots(p)
	if err != nil {
		return "", err
	}
	repo, err := history.Open(ctx, abs)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return s.inRoots(repo.Dir)
}

// checkRemote refuses a URL that is not a remote's (a file URL, an ext::
// command, a local path, an option) or that no pattern of
// Config.GitRemotes allows.
func (s *Server) checkRemote(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.HasPrefix(raw, "-") || strings.ContainsAny(raw, "\x00\n\r \t"):
		return fmt.Errorf("%w: %q is not a URL", ErrBadRequest, raw)
	case !slices.Contains(remoteSchemes, u.Scheme) || u.Host == "" || u.Opaque != "":
		s.log.Warn("refused a remote", "url", raw)
		return fmt.Errorf("%w: %q: only %s URLs name a remote", ErrRemote, raw, strings.Join(remoteSchemes, ", "))
	case hasPassword(u):
		return fmt.Errorf("%w: %q carries a password; the server clones with its own credentials", ErrBadRequest, u.Redacted())
	}
	for _, pattern := range s.cfg.GitRemotes {
		if ok, _ := doublestar.Match(pattern, raw); ok {
			return nil
		}
	}
	s.log.Warn("refused a remote", "url", raw)
	return fmt.Errorf("%w: %s (the server's --git-remote patterns allow %d)", ErrRemote, raw, len(s.cfg.GitRemotes))
}

func hasPassword(u *url.URL) bool {
	_, set := u.User.Password()
	return set
}

// histories resolves a scan's repositories to their directories, cloning
// each remote into the scan's clones (or taking the clone an earlier run
// of the scan made), and returns the walk of their histories.
func (s *Server) histories(ctx context.Context, sc *Scan) (scanrun.Histories, error) {
	var walks scanrun.Histories
	for i, r := range sc.Request.Repositories {
		dir := r.Path
		if r.URL != "" {
			var err error
			if dir, err = s.clone(ctx, sc.ID, i, r.URL); err != nil {
				return nil, err
			}
		} else if _, err := s.localRepository(ctx, dir); err != nil {
			return nil, fmt.Errorf("nothing scanned: its repositories were checked again before it ran: %w", err)
		}
		repo, err := history.Open(ctx, dir)
		if err != nil {
			return nil, err
		}
		revs, _ := history.ParseRevisions(r.Revisions) // checked at Submit
		if err := repo.CheckRevisions(ctx, revs); err != nil {
			return nil, err
		}
		walks = append(walks, &scanrun.History{Repo: repo, Revisions: revs, Ctx: ctx,
			Split: history.Split{Bytes: partBytes, Files: partFiles, MaxFile: s.cfg.Engine.MaxFileSize}})
	}
	return walks, nil
}

// clone clones url as repository i of scan id, unless a whole clone of
// it is there from an earlier run of the scan.
func (s *Server) clone(ctx context.Context, id string, i int, url string) (string, error) {
	dir := filepath.Join(s.clonesPath(id), strconv.Itoa(i))
	done := dir + ".done"
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if err := history.Clone(ctx, url, dir, s.cfg.MaxClone); err != nil {
		return "", fmt.Errorf("cloning %s: %w", url, err)
	}
	return dir, os.WriteFile(done, nil, 0o644)
}

// removeClones removes a scan's clones, once it has ended for good.
func (s *Server) removeClones(id string) {
	if err := os.RemoveAll(s.clonesPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("removing a scan's clones", "id", id, "error", err)
	}
}

// repositoryProgress is how far a scan of histories has got in each of
// its repositories: from the listing, the records written and the jobs
// the workers run now.
func repositoryProgress(sc *Scan, walks scanrun.Histories, done map[string]int64, running []string) []RepositoryProgress {
	out := make([]RepositoryProgress, 0, len(walks))
	for i, w := range walks {
		c := w.Counts()
		p := RepositoryProgress{Repository: sc.Request.Repositories[i].URL, Commits: c.Found, Listed: c.Ended, Done: done[w.Repo.Dir]}
		if p.Repository == "" {
			p.Repository = sc.Request.Repositories[i].Path
		}
		for _, name := range running {
			if commit, ok := strings.CutPrefix(name, record.Join(w.Repo.Dir, "")); ok {
				p.Scanning = append(p.Scanning, commit)
			}
		}
		out = append(out, p)
	}
	return out
}
