package leaks

import "sort"

// spot is where a match lies in its fragment, counted as gitleaks counts:
// lines from 0 within the fragment, a column from 1 on the first line and
// from the preceding newline (so from 2) on the others, and the span of
// the line(s) the match is on.
type spot struct {
	startLine, endLine     int
	startColumn, endColumn int
	lineStart, lineEnd     int
}

// locate places the match [start,end) in raw, whose newlines are at nl.
func locate(nl []int, raw string, start, end int) spot {
	if len(nl) == 0 {
		nl = []int{len(raw)}
	}
	var p spot
	// The line of the start: the first newline after it.
	i := sort.Search(len(nl), func(i int) bool { return nl[i] > start })
	if i == len(nl) {
		last := nl[len(nl)-1]
		p.startLine, p.endLine = len(nl), len(nl)
		p.startColumn, p.endColumn = start-last+1, end-last
		p.lineStart = 0
		p.lineEnd = end
		for p.lineEnd < len(raw) && raw[p.lineEnd] != '\n' && raw[p.lineEnd] != '\r' {
			p.lineEnd++
		}
		return p
	}
	prev := lineStart(nl, i)
	p.startLine, p.endLine = i, i
	p.startColumn = start - prev + 1
	p.lineStart, p.lineEnd = prev, nl[i]
	// The line of the end: the first newline at or after it, past the
	// previous one.
	j := sort.Search(len(nl), func(j int) bool { return nl[j] >= end })
	if j < len(nl) && lineStart(nl, j) < end {
		p.endLine = j
		p.endColumn = end - lineStart(nl, j)
		p.lineEnd = nl[j]
	}
	return p
}

// lineStart is what gitleaks takes for the start of line i: the offset
// of the newline before it, or 0.
func lineStart(nl []int, i int) int {
	if i == 0 {
		return 0
	}
	return nl[i-1]
}
