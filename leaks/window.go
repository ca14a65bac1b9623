package leaks

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// matcher runs one rule's regular expression over a text and returns the
// matches regexp.FindAllStringIndex would return on the whole text. When
// the rule's shape allows, it tries the expression only where a match can
// start, near the hits of the rule's keywords, anchored there.
type matcher struct {
	re    *regexp.Regexp // the rule's expression
	shape shape
	mine  []bool // by keyword index: is it one of the rule's keywords
	// at tries the expression (or the rest after its leading run)
	// anchored at the start of its text; after anchored one rune into it.
	at, after *regexp.Regexp
}

// text is one pass's text with what the detector found in it.
type text struct {
	s        string
	hits     []hit // keyword hits, ordered by start
	newlines []int // offsets of '\n', computed when first needed
	nlDone   bool
	whole    bool // windows are off for this text (see unsafeFold)
}

// lines returns the offsets of the text's newlines.
func (t *text) lines() []int {
	if !t.nlDone {
		t.nlDone = true
		for i := 0; i < len(t.s); {
			j := strings.IndexByte(t.s[i:], '\n')
			if j < 0 {
				break
			}
			t.newlines = append(t.newlines, i+j)
			i += j + 1
		}
	}
	return t.newlines
}

// findAll returns the matches of m in t.
func (m *matcher) findAll(t *text) [][]int {
	if !m.shape.windowed || t.whole {
		return m.re.FindAllStringIndex(t.s, -1)
	}
	out, ok := m.windows(t, budget(len(t.s)))
	if !ok {
		return m.re.FindAllStringIndex(t.s, -1)
	}
	return out
}

// budget is how many bytes the tries of a text of n bytes may run over
// in all before the expression runs over the whole text instead: each
// try is linear in the text it is given, so this keeps a text full of
// keyword hits (every try running far) linear too.
func budget(n int) int { return 8*n + 1<<16 }

// windows finds the matches one at a time, as FindAll does: the leftmost
// match starting at or after p, then on from its end. A match starting at
// or after p holds a hit of the rule's keywords at or after p, at most
// shape.back bytes after its start; so with a the first such hit, the
// leftmost match starts in [a-back, a] or not before the next hit: each
// start there is tried in turn, the first that matches is the match.
//
// With a leading lazy run (C{0,n}?), the rest of the expression is tried
// instead, at each place x it can start; at the first x where it matches,
// the match starts where the run can begin: n bytes before x at most, not
// before p, and not before a byte outside C.
//
// It gives up (ok false) once its tries have been given more than budget
// bytes of text.
func (m *matcher) windows(t *text, budget int) (out [][]int, ok bool) {
	s := t.s
	p := 0
	for _, h := range t.hits {
		if h.pos < p || !m.mine[h.word] {
			continue
		}
		for x := boundary(s, max(p, h.pos-m.shape.back)); x <= h.pos; x += runeWidth(s, x) {
			hi := m.end(t, x)
			if budget -= hi - x; budget < 0 {
				return nil, false
			}
			end, ok := m.try(s, x, hi)
			if !ok {
				continue
			}
			start := x
			if m.shape.run != nil {
				start = m.runStart(s, p, x)
			}
			out = append(out, []int{start, end})
			p = end
			break
		}
	}
	return out, true
}

// runStart is where the leading run starts for the rest found at x.
func (m *matcher) runStart(s string, p, x int) int {
	lo := max(p, x-m.shape.runMax)
	i := x
	for i > lo && m.shape.run[s[i-1]] {
		i--
	}
	return i
}

// try reports whether the expression (or its rest) matches at x, given
// the text up to hi, and where that match ends.
func (m *matcher) try(s string, x, hi int) (int, bool) {
	if x == 0 {
		loc := m.at.FindStringIndex(s[:hi])
		if loc == nil {
			return 0, false
		}
		return loc[1], true
	}
	q := boundary(s, x-1)
	loc := m.after.FindStringIndex(s[q:hi])
	if loc == nil {
		return 0, false
	}
	return q + loc[1], true
}

// end is how far a match starting at x can reach, with the rune after it
// (for $ and \b to see): the expression's bound on length, or on lines.
func (m *matcher) end(t *text, x int) int {
	long := m.shape.long
	if m.shape.run != nil {
		long = m.shape.restMax
	}
	if long < unbounded {
		return min(len(t.s), x+long+utf8.UTFMax)
	}
	end := x
	for range m.shape.lines + 1 {
		i := strings.IndexByte(t.s[end:], '\n')
		if i < 0 {
			return len(t.s)
		}
		end += i + 1
	}
	return end
}

// boundary returns the start of the rune that holds byte i of s, as Go's
// regexp decodes s from its start (an invalid byte is a rune of its own).
func boundary(s string, i int) int {
	if i <= 0 {
		return 0
	}
	if i >= len(s) || utf8.RuneStart(s[i]) {
		return i
	}
	for j := i - 1; j >= 0 && j >= i-(utf8.UTFMax-1); j-- {
		if utf8.RuneStart(s[j]) {
			if _, w := utf8.DecodeRuneInString(s[j:]); j+w > i {
				return j
			}
			return i
		}
	}
	return i
}

// runeWidth is the width of the rune at s[i], as Go's regexp decodes it.
func runeWidth(s string, i int) int {
	if i >= len(s) || s[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}
