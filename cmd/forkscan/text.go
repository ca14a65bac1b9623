package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
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
	pending map[*fileRef][]record // files with some records in, not all
}

func (t *textFormat) add(buf *bytes.Buffer, rec record, ref *fileRef) error {
	if ref == nil || ref.got >= ref.want {
		recs := append(t.pending[ref], rec)
		delete(t.pending, ref)
		t.block(buf, recs)
		return nil
	}
	t.pending[ref] = append(t.pending[ref], rec)
	return nil
}

// end writes the files of an interrupted run that did not get all their
// records.
func (t *textFormat) end(buf *bytes.Buffer) error {
	var refs []*fileRef
	for ref := range t.pending {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b *fileRef) int { return strings.Compare(a.rel, b.rel) })
	for _, ref := range refs {
		t.block(buf, t.pending[ref])
	}
	clear(t.pending)
	return nil
}

func (t *textFormat) block(buf *bytes.Buffer, recs []record) {
	if !slices.ContainsFunc(recs, func(r record) bool { return len(r.Findings) > 0 || r.Error != nil }) {
		return
	}
	fmt.Fprintf(buf, "%s\n", t.paint(ansiBold, recs[0].Path))
	for _, r := range recs {
		if r.Error != nil {
			fmt.Fprintf(buf, "  %s  %s %s\n", r.Scanner, t.paint(ansiRed, "error "+r.Error.Category), r.Error.Message)
		}
		for _, f := range r.Findings {
			where := fmt.Sprintf("%d", f.Line)
			if f.Column > 0 {
				where += fmt.Sprintf(":%d", f.Column)
			}
			fmt.Fprintf(buf, "  %s  %s  %s  %s", t.paint(ansiDim, where), r.Scanner, t.paint(ansiYel, f.Rule), f.Message)
			if f.Match != "" {
				fmt.Fprintf(buf, "  %s", t.paint(ansiDim, fmt.Sprintf("%q", f.Match)))
			}
			buf.WriteByte('\n')
		}
	}
}

func (t *textFormat) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}
