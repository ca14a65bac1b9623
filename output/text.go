package output

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/record"
)

// ANSI colours of the text format.
const (
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiYel   = "\x1b[33m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// textFormat is for people: one block per file that has something to say
// (findings or errors), the file's path and then a line per finding or
// error, like a compiler's or linter's output. A file's records are held
// until all of them are in, so that its block is whole; files with nothing
// to say are left out (the summary counts them).
type textFormat struct {
	color   bool
	base    string                    // show paths relative to this directory, when under it
	pending map[*File][]record.Record // files with some records in, not all
}

func (t *textFormat) add(buf *bytes.Buffer, rec record.Record, f *File) error {
	if f.complete() {
		recs := append(t.pending[f], rec)
		delete(t.pending, f)
		t.block(buf, recs)
		return nil
	}
	t.pending[f] = append(t.pending[f], rec)
	return nil
}

// end writes the files of an interrupted run that did not get all their
// records.
func (t *textFormat) end(buf *bytes.Buffer, _ *record.ShardEnd) error {
	files := slices.Collect(maps.Keys(t.pending))
	sortFiles(files)
	for _, f := range files {
		t.block(buf, t.pending[f])
	}
	clear(t.pending)
	return nil
}

func (t *textFormat) block(buf *bytes.Buffer, recs []record.Record) {
	if !slices.ContainsFunc(recs, func(r record.Record) bool {
		return len(r.Findings) > 0 || r.Error != nil || (r.Members != nil && len(r.Members.Notes) > 0)
	}) {
		return
	}
	fmt.Fprintf(buf, "%s\n", t.heading(recs))
	for _, r := range recs {
		if r.Error != nil {
			fmt.Fprintf(buf, "  %s  %s %s\n", r.Scanner, t.paint(ansiRed, "error "+r.Error.Category.String()), r.Error.Message)
		}
		for _, f := range r.Findings {
			where := fmt.Sprintf("%d", f.Line)
			if f.Column > 0 {
				where += fmt.Sprintf(":%d", f.Column)
			}
			if f.Member != "" {
				where = "!" + f.Member + ":" + where
			}
			if f.File != "" {
				where = f.File + ":" + strings.TrimPrefix(where, ":")
			}
			fmt.Fprintf(buf, "  %s  %s  %s  %s", t.paint(ansiDim, where), r.Scanner, t.paint(ansiYel, f.Rule), f.Message)
			if f.Match != "" {
				fmt.Fprintf(buf, "  %s", t.paint(ansiDim, fmt.Sprintf("%q", f.Match)))
			}
			buf.WriteByte('\n')
		}
		t.notes(buf, r)
	}
}

// notesShown is the most members not read that a record's block names.
const notesShown = 3

// notes says which members of an archive were not read, and why.
func (t *textFormat) notes(buf *bytes.Buffer, r record.Record) {
	if r.Members == nil || len(r.Members.Notes) == 0 {
		return
	}
	m := r.Members
	var said []string
	mark, what := "!", "members read; not read:"
	if r.Commit != nil {
		mark, what = "", "changes read; files not read:"
	}
	for _, n := range m.Notes[:min(len(m.Notes), notesShown)] {
		said = append(said, fmt.Sprintf("%s%s (%s)", mark, n.Member, n.Reason))
	}
	if more := len(m.Notes) - len(said) + m.Dropped; more > 0 {
		said = append(said, fmt.Sprintf("and %d more", more))
	}
	fmt.Fprintf(buf, "  %s  %s %s\n", r.Scanner, t.paint(ansiDim, fmt.Sprintf("%d %s", m.Read, what)), strings.Join(said, ", "))
}

// heading is the first line of a block: the file's name, or for a job of
// a repository's history its commit, who made it, when, and its message.
func (t *textFormat) heading(recs []record.Record) string {
	i := slices.IndexFunc(recs, func(r record.Record) bool { return r.Commit != nil })
	if i < 0 {
		return t.paint(ansiBold, t.show(recs[0]))
	}
	c := recs[i].Commit
	name := "commit " + c.Short()
	if _, part, ok := strings.Cut(recs[i].Path, ":"); ok {
		name += " (part " + part + ")"
	}
	return fmt.Sprintf("%s  %s", t.paint(ansiBold, name), t.paint(ansiDim, fmt.Sprintf("%s <%s> %s  %s", c.Author, c.Email, c.Date.Format("2006-01-02"), c.Message)))
}

// show is how the text names a record's file: relative to the base
// directory when the file is under it, as a person would type it; else
// relative to its root.
func (t *textFormat) show(r record.Record) string {
	if t.base != "" && r.Root != "" {
		if rel, err := filepath.Rel(t.base, r.Name()); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return rel
		}
	}
	return r.Path
}

func (t *textFormat) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}
