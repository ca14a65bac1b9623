package history

import (
	"fmt"
	"strconv"
	"strings"
)

// Job is the work of one commit, or of one part of a commit too large
// for one job: its files split into Parts by size.
type Job struct {
	Commit string
	// Part (from 1) of Parts; Parts 0 is the whole commit.
	Part, Parts int
}

// Special jobs: the changes a commit would make, not yet committed.
const (
	// Staged is what `git diff --cached` shows: the index against HEAD.
	Staged = "staged"
	// Uncommitted is what `git diff` shows: the work tree against the
	// index.
	Uncommitted = "uncommitted"
)

// String is the job's name: the commit, then ":part/parts" for a part.
func (j Job) String() string {
	if j.Parts == 0 {
		return j.Commit
	}
	return fmt.Sprintf("%s:%d/%d", j.Commit, j.Part, j.Parts)
}

// ParseJob reads a job's name back.
func ParseJob(name string) (Job, error) {
	if name == Staged || name == Uncommitted {
		return Job{Commit: name}, nil
	}
	id, part, split := strings.Cut(name, ":")
	if !objectName(id) {
		return Job{}, fmt.Errorf("%w: %q names no commit", ErrRevisions, name)
	}
	j := Job{Commit: id}
	if !split {
		return j, nil
	}
	p, n, ok := strings.Cut(part, "/")
	var err1, err2 error
	j.Part, err1 = strconv.Atoi(p)
	j.Parts, err2 = strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || j.Part < 1 || j.Part > j.Parts {
		return Job{}, fmt.Errorf("%w: %q names no part of a commit", ErrRevisions, name)
	}
	return j, nil
}

func objectName(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Split says when a commit is too large for one job. The zero value never
// splits.
type Split struct {
	// Bytes and Files are the most of one job: a commit over either is
	// split into parts of at most that much (a file larger than Bytes is
	// a part of its own).
	Bytes int64
	Files int
	// MaxFile is the largest file read: a commit with a larger one is
	// read by parts too, so that the file is passed over unread, with a
	// note. Zero: no limit.
	MaxFile int64
}

// Jobs are the jobs of c: itself, or its parts.
func (s Split) Jobs(c Commit) []Job {
	n := 0
	if s.Bytes > 0 && c.Size > s.Bytes {
		n = int((c.Size + s.Bytes - 1) / s.Bytes)
	}
	if s.Files > 0 && c.Files > s.Files {
		n = max(n, (c.Files+s.Files-1)/s.Files)
	}
	if s.MaxFile > 0 && c.Largest > s.MaxFile {
		n = max(n, 1)
	}
	n = min(n, c.Files)
	if n == 0 {
		return []Job{{Commit: c.ID}}
	}
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{Commit: c.ID, Part: i + 1, Parts: n}
	}
	return jobs
}
