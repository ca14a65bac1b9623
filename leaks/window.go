package leaks

import (
	"io"
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
	// starts are texts one of which a match of what is tried starts with
	// (lowered): a place that starts with none is not tried.
	starts []string
}

// text is one pass's text with what the detector found in it.
type text struct {
	s        string
	hits     []hit // keyword hits, ordered by start
	newlines []int // offsets of '\n', computed when first needed
	nlDone   bool
	whole    bool // the text holds characters that fold (see unsafeFold)
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
	if !m.shape.windowed || (t.whole && !m.shape.plain) {
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
			if m.starts != nil && !startsWithAny(s[x:], m.starts) {
				continue
			}
			end, ok, cost := m.try(t, x)
			if budget -= cost; budget < 0 {
				return nil, false
			}
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

// startsWithAny reports whether s starts with one of texts, ASCII case
// aside (texts are lowered).
func startsWithAny(s string, texts []string) bool {
	for _, t := range texts {
		if len(s) < len(t) {
			continue
		}
		i := 0
		for i < len(t) && lowerASCII(s[i]) == t[i] {
			i++
		}
		if i == len(t) {
			return true
		}
	}
	return false
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

// try reports whether the expression (or its rest) matches at x, where
// that match ends, and what the try cost: the bytes of text it was given,
// or, for an expression with no bound on its length, the bytes it read
// before every path through it had failed or ended (such an expression
// is given the text to its bound on lines, which may be long, and most
// tries end a few bytes in).
func (m *matcher) try(t *text, x int) (end int, ok bool, cost int) {
	s := t.s
	hi := m.end(t, x)
	q := x
	re := m.at
	if x > 0 {
		q, re = boundary(s, x-1), m.after
	}
	if m.long() < unbounded {
		loc := re.FindStringIndex(s[q:hi])
		if loc == nil {
			return 0, false, hi - x
		}
		return q + loc[1], true, hi - x
	}
	r := runeCounter{s: s[q:hi]}
	loc := re.FindReaderIndex(&r)
	if loc == nil {
		return 0, false, r.i
	}
	return q + loc[1], true, r.i
}

// runeCounter reads a string's runes as Go's regexp decodes them, and
// counts the bytes read.
type runeCounter struct {
	s string
	i int
}

func (r *runeCounter) ReadRune() (rune, int, error) {
	if r.i >= len(r.s) {
		return 0, 0, io.EOF
	}
	c, w := utf8.DecodeRuneInString(r.s[r.i:])
	r.i += w
	return c, w, nil
}

// long is the bound on the length of what is tried.
func (m *matcher) long() int {
	if m.shape.run != nil {
		return m.shape.restMax
	}
	return m.shape.long
}

// end is how far a match starting at x can reach, with the rune after it
// (for $ and \b to see): the expression's bound on length, or on lines.
func (m *matcher) end(t *text, x int) int {
	if long := m.long(); long < unbounded {
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
