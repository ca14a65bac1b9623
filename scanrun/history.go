package scanrun

import (
	"context"
	"sync/atomic"

	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
)

// History is the walk of a repository's history: each job of each commit
// its revisions name is an entry whose Root is the repository, whose Path
// is the job's name (history.Job) and whose Size is the bytes of the files
// it writes, so that Source deals commits out largest first, and a huge
// commit in parts. With Pending set, it is that one entry instead (the
// staged or uncommitted changes).
type History struct {
	Repo      *history.Repo
	Revisions history.Revisions
	Split     history.Split
	// Pending is history.Staged or history.Uncommitted, or empty.
	Pending string
	// Shard, if set, keeps the commits of one shard: a commit's shard is
	// the one its name hashes to (tree.HashShard), the same on every
	// machine, with all its parts.
	Shard tree.Shard
	// Ctx ends the listing early (Ctrl-C); nil: never.
	Ctx context.Context

	found, bytes, commits, empty atomic.Int64
	ended, stopped               atomic.Bool
}

// Walk yields the history's entries. A listing that fails half way (git
// fails on a corrupt repository) ends with an entry carrying the error,
// so that its record says what was not scanned.
func (h *History) Walk(yield func(tree.Entry) bool) {
	defer h.ended.Store(true)
	if h.Pending != "" {
		h.found.Add(1)
		yield(tree.Entry{Root: h.Repo.Dir, Path: h.Pending})
		return
	}
	ctx := h.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	stopped := false
	empty, err := h.Repo.List(ctx, h.Revisions, func(c history.Commit) bool {
		if h.Shard.Count > 0 && tree.HashShard(c.ID, h.Shard.Count) != h.Shard.Index {
			return true
		}
		h.commits.Add(1)
		jobs := h.Split.Jobs(c)
		for _, j := range jobs {
			h.found.Add(1)
			h.bytes.Add(c.Size / int64(len(jobs)))
			if !yield(tree.Entry{Root: h.Repo.Dir, Path: j.String(), Size: c.Size / int64(len(jobs))}) {
				stopped = true
				return false
			}
		}
		return true
	})
	h.empty.Store(int64(empty))
	switch {
	case stopped || ctx.Err() != nil:
		h.stopped.Store(true)
	case err != nil:
		h.found.Add(1)
		yield(tree.Entry{Root: h.Repo.Dir, Path: "history", Err: record.Errorf(record.ToolError, "listing the history: %w", err)})
	}
}

// Stopped reports whether the walk was stopped before its end.
func (h *History) Stopped() bool { return h.stopped.Load() }

// Ordered says a history is scanned in git's order, newest first, not
// largest first: neighbouring commits share most of their blobs, and a
// git reading them one after the other finds the bases of their deltas
// in its cache (read in an order by size, the same patches cost git
// twice the time).
func (h *History) Ordered() bool { return true }

// Counts counts the entries yielded (jobs) and their bytes.
func (h *History) Counts() tree.Counts {
	return tree.Counts{Found: h.found.Load(), Bytes: h.bytes.Load(), Ended: h.ended.Load()}
}

// Commits are the commits listed with something to scan, and those with
// nothing (merges, commits that write no file), so far.
func (h *History) Commits() (scanned, empty int64) { return h.commits.Load(), h.empty.Load() }

// Histories walks several histories, one after the other.
type Histories []*History

// Ordered says histories are scanned in git's order (History.Ordered).
func (hs Histories) Ordered() bool { return true }

// Walk yields the entries of each history in turn.
func (hs Histories) Walk(yield func(tree.Entry) bool) {
	for _, h := range hs {
		stopped := false
		h.Walk(func(e tree.Entry) bool {
			stopped = !yield(e)
			return !stopped
		})
		if stopped {
			return
		}
	}
}

// Stopped reports whether a walk was stopped before its end.
func (hs Histories) Stopped() bool {
	for _, h := range hs {
		if h.Stopped() {
			return true
		}
	}
	return false
}

// Counts adds up the histories' counts; Ended once every one has.
func (hs Histories) Counts() tree.Counts {
	sum := tree.Counts{Ended: true}
	for _, h := range hs {
		c := h.Counts()
		sum.Found += c.Found
		sum.Bytes += c.Bytes
		sum.Ended = sum.Ended && c.Ended
	}
	return sum
}

// Roots are the histories' repositories.
func (hs Histories) Roots() []string {
	var roots []string
	for _, h := range hs {
		roots = append(roots, h.Repo.Dir)
	}
	return roots
}

// Reached returns those of the commits recorded under root that the
// revisions of its history reach (history.Repo.Reached), for
// resume.Options.Reached; none for a root that is not one of these
// histories' repositories.
func (hs Histories) Reached(ctx context.Context, root string, commits map[string]bool) (map[string]bool, error) {
	for _, h := range hs {
		if h.Repo.Dir == root && h.Pending == "" {
			return h.Repo.Reached(ctx, h.Revisions, commits)
		}
	}
	return nil, nil
}
