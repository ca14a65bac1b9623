package output

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/forkscan/forkscan/record"
)

// ANSI colours of the text format.
const (
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiYel   = "\x1b[33m"
	ansiCyan  = "\x1b[36m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// textFormat is for people, grouped as ripgrep groups its matches: one
// block per file that has something to say (findings, errors, members not
// read), the file's name as the person named it and then its errors and
// its findings sorted by line, each as line:column, severity, rule and
// what matched, in aligned columns, like a linter's output; then, once
// per file, what each rule found means (gitleaks and semgrep repeat it on
// every finding). A finding a .gitleaksignore line can drop shows that
// line, as gitleaks shows its fingerprint. A file's records are held until
// all of them are in, so that its block is whole; files with nothing to
// say are left out (the summary counts them). Everything shown comes from
// the scanned tree and is shown as text, its control characters escaped,
// so that no file can move a terminal's cursor or colour it.
type textFormat struct {
	color   bool
	names   names
	ignore  []string                  // scanners whose findings a .gitleaksignore line drops
	pending map[*File][]record.Record // files with some records in, not all
}

func newText(o Options) *textFormat {
	return &textFormat{color: o.Color, names: names{base: o.Base, roots: o.RootNames, one: len(o.Roots) <= 1}, ignore: o.Ignorable, pending: map[*File][]record.Record{}}
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

// shown is a finding with the record it came in.
type shown struct {
	record.Finding
	rec *record.Record
}

func (t *textFormat) block(buf *bytes.Buffer, recs []record.Record) {
	if !slices.ContainsFunc(recs, func(r record.Record) bool {
		return len(r.Findings) > 0 || r.Error != nil || (r.Members != nil && len(r.Members.Notes) > 0)
	}) {
		return
	}
	fmt.Fprintf(buf, "%s\n", t.heading(recs))
	var found []shown
	for i := range recs {
		r := &recs[i]
		if r.Error != nil {
			fmt.Fprintf(buf, "  %s  %s %s\n", plain(r.Scanner), t.paint(ansiRed, "error "+r.Error.Category.String()), plain(r.Error.Message))
		}
		for _, f := range r.Findings {
			found = append(found, shown{f, r})
		}
	}
	slices.SortStableFunc(found, func(a, b shown) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Member, b.Member),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Rule, b.Rule))
	})
	t.findings(buf, found)
	for i := range recs {
		t.notes(buf, recs[i])
	}
	t.descriptions(buf, found)
}

// findings writes one line per finding, its columns aligned across the
// block, with what it matched after it (on lines of their own when it has
// several) and the line that ignores it.
func (t *textFormat) findings(buf *bytes.Buffer, found []shown) {
	var wWhere, wSev, wRule int
	for _, f := range found {
		wWhere, wSev, wRule = max(wWhere, width(where(f.Finding))), max(wSev, width(plain(string(f.Severity)))), max(wRule, width(plain(f.Rule)))
	}
	indent := strings.Repeat(" ", 2+wWhere+2)
	for _, f := range found {
		lines := matchLines(f.Match)
		cols := []string{t.paint(ansiDim, pad(where(f.Finding), wWhere))}
		if wSev > 0 { // no column for severities no scanner gave
			cols = append(cols, t.severity(f.Severity, wSev))
		}
		if len(lines) == 1 { // the match follows on the line
			cols = append(cols, t.paint(ansiCyan, pad(plain(f.Rule), wRule)), lines[0])
			lines = nil
		} else {
			cols = append(cols, t.paint(ansiCyan, plain(f.Rule)))
		}
		fmt.Fprintf(buf, "  %s\n", strings.Join(cols, "  "))
		for _, l := range lines {
			fmt.Fprintf(buf, "%s%s\n", indent, t.paint(ansiDim, "│ ")+l)
		}
		if slices.Contains(t.ignore, f.rec.Scanner) {
			fmt.Fprintf(buf, "%s%s\n", indent, t.paint(ansiDim, "fingerprint: "+plain(fingerprint(f.Finding, f.rec))))
		}
	}
}

// descriptions says once what each rule's findings in the block mean.
func (t *textFormat) descriptions(buf *bytes.Buffer, found []shown) {
	var said []string
	for _, f := range found {
		if f.Message == "" {
			continue
		}
		line := plain(f.Rule) + ": " + plain(f.Message)
		if !slices.Contains(said, line) {
			said = append(said, line)
			fmt.Fprintf(buf, "  %s\n", t.paint(ansiDim, line))
		}
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
		said = append(said, fmt.Sprintf("%s%s (%s)", mark, plain(n.Member), plain(n.Reason)))
	}
	if more := len(m.Notes) - len(said) + m.Dropped; more > 0 {
		said = append(said, fmt.Sprintf("and %d more", more))
	}
	fmt.Fprintf(buf, "  %s  %s %s\n", plain(r.Scanner), t.paint(ansiDim, fmt.Sprintf("%d %s", m.Read, what)), strings.Join(said, ", "))
}

// heading is the first line of a block: the file's name, or for a job of
// a repository's history its commit, who made it, when, and its message.
func (t *textFormat) heading(recs []record.Record) string {
	i := slices.IndexFunc(recs, func(r record.Record) bool { return r.Commit != nil })
	if i < 0 {
		return t.paint(ansiBold, plain(t.names.show(recs[0])))
	}
	c := recs[i].Commit
	name := "commit " + plain(c.Short())
	if _, part, ok := strings.Cut(recs[i].Path, ":"); ok {
		name += " (part " + plain(part) + ")"
	}
	return fmt.Sprintf("%s  %s", t.paint(ansiBold, name), t.paint(ansiDim, plain(fmt.Sprintf("%s <%s> %s  %s", c.Author, c.Email, c.Date.Format("2006-01-02"), c.Message))))
}

// severity is a finding's severity, padded to w, coloured by how bad it
// is.
func (t *textFormat) severity(s record.Severity, w int) string {
	code := ansiDim
	switch s {
	case record.SeverityCritical, record.SeverityHigh, "error":
		code = ansiRed
	case record.SeverityMedium, "warning":
		code = ansiYel
	}
	return t.paint(code, pad(plain(string(s)), w))
}

func (t *textFormat) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// where is a finding's place in its file: line and column, after the
// changed file's path (in a commit) and the archive's member, as gitleaks
// names them.
func where(f record.Finding) string {
	at := fmt.Sprint(f.Line)
	if f.Column > 0 {
		at += fmt.Sprintf(":%d", f.Column)
	}
	if f.Member != "" {
		at = "!" + plain(f.Member) + ":" + at
	}
	if f.File != "" {
		at = plain(f.File) + ":" + strings.TrimPrefix(at, ":")
	}
	return at
}

// fingerprint is the line of a .gitleaksignore that drops the finding, as
// the secrets scanner reads it and gitleaks writes it: file:rule:line,
// the file's path relative to its root (the root holds the
// .gitleaksignore), its member after "!"; commit:file:rule:line for one
// in a commit of a history.
func fingerprint(f record.Finding, r *record.Record) string {
	file := r.Path
	switch {
	case f.File != "":
		file = f.File
	case f.Member != "":
		file += "!" + f.Member
	}
	fp := fmt.Sprintf("%s:%s:%d", file, f.Rule, f.Line)
	if r.Commit != nil && r.Commit.ID != "" {
		fp = r.Commit.ID + ":" + fp
	}
	return fp
}

// pad is s with spaces after it to w runes.
func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(w-width(s), 0))
}

func width(s string) int { return utf8.RuneCountInString(s) }
