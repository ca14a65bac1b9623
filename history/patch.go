package history

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Meta is who made a commit, when, and why.
type Meta struct {
	ID, Author, Email string
	Date              time.Time // the author's date
	Subject           string    // the message's first paragraph, on one line
}

// Change is one hunk of a patch: the lines it adds to a file, as
// `gitleaks git` scans them (a hunk that only removes lines has none).
type Change struct {
	// Path is the file's path in the commit's tree, as git names it (any
	// bytes but NUL).
	Path string
	// Line is the line of the file the first added line is on, from 1.
	Line int
	// Text is the added lines, each with its newline (the file's last
	// line without one, if it has none).
	Text []byte
	// Binary marks a binary file: git shows no lines of it, and Blob
	// names its new content.
	Binary bool
	Blob   string
}

// Note says why a file of a commit was not read.
type Note struct{ Path, Reason string }

// Patch is what a job of a commit adds.
type Patch struct {
	// Meta is the commit's; nil for staged and uncommitted changes, and
	// for a commit whose patch shows nothing (a merge, a commit that
	// writes no file).
	Meta    *Meta
	Changes []Change
	Notes   []Note
}

// format is the header diff-tree writes before a commit's patch: a NUL,
// then its fields, NUL-separated.
const format = "--format=%x00%H%x00%an%x00%ae%x00%at%x00%s"

// baseDiffArgs are the options that make git show a patch as `git log -p
// -U0` shows it to gitleaks: the lines each file gains, with no context,
// deletions and type changes left out (Reader.diffArgs adds the
// repository's rename and diff settings).
var baseDiffArgs = []string{"-p", "-U0", "-r", "--root", "--diff-filter=tuxdb", "--no-color", "--no-ext-diff", "--no-textconv"}

// parsePatch reads one commit's output of diff-tree: its header line, if
// any, then its patch.
func parsePatch(out []byte) Patch {
	var p Patch
	out = bytes.TrimLeft(out, "\n") // diff-tree parts one commit's output from the last by a blank line
	if len(out) > 0 && out[0] == 0 {
		end := bytes.IndexByte(out, '\n')
		if end < 0 {
			end = len(out)
		}
		p.Meta = parseMeta(string(out[1:end]))
		out = out[min(end+1, len(out)):]
	}
	p.Changes = changes(out)
	return p
}

func parseMeta(header string) *Meta {
	f := strings.SplitN(header, "\x00", 5)
	for len(f) < 5 {
		f = append(f, "")
	}
	m := &Meta{ID: f[0], Author: f[1], Email: f[2], Subject: f[4]}
	if secs, err := strconv.ParseInt(f[3], 10, 64); err == nil {
		m.Date = time.Unix(secs, 0).UTC()
	}
	return m
}
