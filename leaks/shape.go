package leaks

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unbounded stands for a length or a count with no bound.
const unbounded = 1 << 30

// shape is what the detector knows of a rule's regular expression without
// running it: enough to run it only where a match can start, around the
// hits of the rule's keywords, and find exactly the matches FindAll finds
// on the whole text.
//
// It rests on facts checked on the expression's syntax tree: every match
// holds one of the rule's keywords at most back bytes after its start (so
// a match starts at most back bytes before a keyword hit), and is at most
// long bytes long or spans at most lines newlines (so it ends within a
// bound, which keeps each attempt on a short text). Most of gitleaks'
// rules start with a lazy run of a character class before their keywords
// ([\w.-]{0,50}?); for those the rest of the expression is tried at the
// hits, and the start of a match found from where the run can start.
// A rule whose expression proves none of this is run on the whole text.
type shape struct {
	windowed bool
	back     int // bytes from a match's start to its keyword hit, at most
	long     int // a match's length in bytes, at most; unbounded if none
	lines    int // newlines in a match, at most; unbounded if none
	// The leading lazy run, if any: its class and how many it takes at
	// most; rest is the expression after it.
	run     *[256]bool
	runMax  int
	rest    string
	restMax int // the rest's long
	// plain: the expression cannot match the characters outside ASCII
	// that fold onto ASCII letters (U+212A, U+017F, U+0130), so its
	// windows hold in texts that have them too.
	plain bool
}

// maxBack bounds a window's reach before a hit: past it, trying every
// start costs more than running over the whole text.
const maxBack = 64

// shapeOf analyses pattern for a rule with the given keywords.
func shapeOf(pattern string, words []string) shape {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || len(words) == 0 {
		return shape{}
	}
	for _, w := range words {
		if !isASCII(w) || w == "" {
			return shape{}
		}
	}
	s := shape{long: maxLen(re), lines: maxLines(re), plain: !canMatchFolding(re)}
	if s.long >= unbounded && s.lines >= unbounded {
		return shape{}
	}
	if run, n, rest := leadingRun(re); rest != nil {
		if back, ok := anchored(rest, words); ok && back <= maxBack {
			s.windowed, s.back, s.run, s.runMax = true, back, run, n
			s.rest, s.restMax = rest.String(), maxLen(rest)
			return s
		}
	}
	back, ok := anchored(re, words)
	if !ok || back > maxBack {
		return shape{}
	}
	s.windowed, s.back = true, back
	return s
}

// leadingRun splits re into a leading lazy run of one ASCII character
// class (C{0,n}?, one or more of them) and the rest; rest is nil if re
// does not start so.
func leadingRun(re *syntax.Regexp) (*[256]bool, int, *syntax.Regexp) {
	subs := flatConcat(re)
	var class []rune
	n, k := 0, 0
	for ; k < len(subs); k++ {
		sub := subs[k]
		if sub.Op != syntax.OpRepeat || sub.Min != 0 || sub.Max < 0 || sub.Flags&syntax.NonGreedy == 0 ||
			sub.Sub[0].Op != syntax.OpCharClass {
			break
		}
		if next := safeClass(sub.Sub[0].Rune); class == nil {
			class = next
		} else if !slices.Equal(class, next) {
			break
		}
		n += sub.Max
	}
	if k == 0 || k == len(subs) {
		return nil, 0, nil
	}
	var set [256]bool
	for i := 0; i < len(class); i += 2 {
		lo, hi := class[i], class[i+1]
		if hi >= utf8.RuneSelf {
			return nil, 0, nil
		}
		for r := lo; r <= hi; r++ {
			set[r] = true
		}
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: subs[k:]}
	if len(subs)-k == 1 {
		rest = subs[k]
	}
	return &set, n, rest
}

// safeClass is a class's ranges without the Kelvin sign and the long s,
// which a case-folded class holds for k and s: a text holding either is
// not windowed, so windows need not count them.
func safeClass(ranges []rune) []rune {
	out := make([]rune, 0, len(ranges))
	for i := 0; i < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if lo == hi && (lo == '\u212a' || lo == '\u017f') {
			continue
		}
		out = append(out, lo, hi)
	}
	return out
}

// canMatchFolding reports whether re can match U+212A, U+017F or U+0130.
func canMatchFolding(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if folding(r) {
				return true
			}
			for f := unicode.SimpleFold(r); re.Flags&syntax.FoldCase != 0 && f != r; f = unicode.SimpleFold(f) {
				if folding(f) {
					return true
				}
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			for _, r := range []rune{'\u212a', '\u017f', '\u0130'} {
				if re.Rune[i] <= r && r <= re.Rune[i+1] {
					return true
				}
			}
		}
		return false
	}
	for _, sub := range re.Sub {
		if canMatchFolding(sub) {
			return true
		}
	}
	return false
}

func folding(r rune) bool { return r == '\u212a' || r == '\u017f' || r == '\u0130' }

// flatConcat lists re's parts in order, nested concatenations opened.
func flatConcat(re *syntax.Regexp) []*syntax.Regexp {
	if re.Op != syntax.OpConcat {
		return []*syntax.Regexp{re}
	}
	var out []*syntax.Regexp
	for _, sub := range re.Sub {
		out = append(out, flatConcat(sub)...)
	}
	return out
}

// anchored reports whether every match of re holds one of words (ASCII
// case aside), and how far into the match that word can start, at most.
func anchored(re *syntax.Regexp, words []string) (int, bool) {
	if set, ok := exact(re); ok && allHold(set, words) {
		return firstHit(set, words, maxLen(re)), true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return anchored(re.Sub[0], words)
	case syntax.OpRepeat:
		if re.Min < 1 {
			return 0, false
		}
		return anchored(re.Sub[0], words)
	case syntax.OpConcat:
		return anchoredConcat(re.Sub, words)
	case syntax.OpAlternate:
		most := 0
		for _, sub := range re.Sub {
			left, ok := anchored(sub, words)
			if !ok {
				return 0, false
			}
			most = max(most, left)
		}
		return most, true
	}
	return 0, false
}

// anchoredConcat is anchored for a concatenation: a run of its parts
// whose texts are few enough to list and all hold a word, or a part that
// is anchored itself, after parts of bounded length; the nearest its
// start.
func anchoredConcat(subs []*syntax.Regexp, words []string) (int, bool) {
	best, found := unbounded, false
	before := 0
	for i, sub := range subs {
		if before >= unbounded {
			break
		}
		if left, ok := anchored(sub, words); ok && before+left < best {
			best, found = before+left, true
		}
		if left, ok := anchoredRun(subs[i:], words); ok && before+left < best {
			best, found = before+left, true
		}
		before = min(unbounded, before+maxLen(sub))
	}
	return best, found
}

// anchoredRun reports whether every match of the concatenation subs
// starts with a text that holds a word, and how far in that word starts at
// most: the texts of its first parts, as many as can be listed, then the
// ones the next part starts with.
func anchoredRun(subs []*syntax.Regexp, words []string) (int, bool) {
	set, run := []string{""}, 0
	for _, sub := range subs {
		if next, ok := exact(sub); ok {
			if set, ok = product(set, next); !ok {
				return 0, false
			}
			if run = min(unbounded, run+maxLen(sub)); allHold(set, words) {
				return firstHit(set, words, run), true
			}
			continue
		}
		starts, ok := prefixes(sub)
		if !ok {
			return 0, false
		}
		if set, ok = product(set, starts); !ok || !allHold(set, words) {
			return 0, false
		}
		return firstHit(set, words, min(unbounded, run+longest(starts)*utf8.UTFMax)), true
	}
	return 0, false
}

// prefixes lists texts one of which every match of re starts with (lowered
// as exact lowers them); ok false if there are too many or none to say.
func prefixes(re *syntax.Regexp) ([]string, bool) {
	if set, ok := exact(re); ok {
		return set, true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return prefixes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false
		}
		return prefixes(re.Sub[0])
	case syntax.OpConcat:
		set := []string{""}
		for _, sub := range re.Sub {
			next, ok := exact(sub)
			if !ok {
				starts, ok := prefixes(sub)
				if !ok {
					return set, true
				}
				return product(set, starts)
			}
			if set, ok = product(set, next); !ok {
				return nil, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		var set []string
		for _, sub := range re.Sub {
			next, ok := prefixes(sub)
			if !ok || len(set)+len(next) > maxSet {
				return nil, false
			}
			set = append(set, next...)
		}
		return set, true
	}
	return nil, false
}

// firstHit is how far into a text of set its first word starts, at most,
// when the texts are ASCII (their bytes are the text's); else bound.
func firstHit(set []string, words []string, bound int) int {
	most := 0
	for _, t := range set {
		if strings.IndexByte(t, 0) >= 0 {
			return bound
		}
		first := len(t)
		for _, w := range words {
			if i := strings.Index(t, w); i >= 0 {
				first = min(first, i)
			}
		}
		most = max(most, first)
	}
	return most
}

func longest(set []string) int {
	n := 0
	for _, s := range set {
		n = max(n, len(s))
	}
	return n
}

// mustsOf lists lowered texts one of which every match of pattern holds
// (ASCII case aside), the longest it can tell; nil if it knows none.
func mustsOf(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	return musts(re)
}

func musts(re *syntax.Regexp) []string {
	if set, ok := exact(re); ok && usable(set) {
		return set
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return musts(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return musts(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for i, sub := range re.Sub {
			if set := musts(sub); shortest(set) > shortest(best) {
				best = set
			}
			set := []string{""}
			for _, next := range re.Sub[i:] {
				n, ok := exact(next)
				if !ok {
					break
				}
				if set, ok = product(set, n); !ok {
					break
				}
				if usable(set) && shortest(set) > shortest(best) {
					best = set
				}
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			set := musts(sub)
			if set == nil {
				return nil
			}
			all = append(all, set...)
		}
		return all
	}
	return nil
}

// usable reports whether a set of texts can be looked for: none empty,
// none holding a rune outside ASCII.
func usable(set []string) bool {
	for _, t := range set {
		if t == "" || strings.IndexByte(t, 0) >= 0 {
			return false
		}
	}
	return len(set) > 0
}

func shortest(set []string) int {
	if len(set) == 0 {
		return 0
	}
	n := unbounded
	for _, t := range set {
		n = min(n, len(t))
	}
	return n
}

// maxSet bounds the texts exact lists.
const maxSet = 256

// exact lists the texts re can match, lowered as the keyword search
// lowers text (ASCII letters; any other rune stands as a zero byte, which
// no keyword holds); ok false if they are too many or without bound.
func exact(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{lowered(re.Rune)}, true
	case syntax.OpCharClass:
		return classSet(re.Rune)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		set, ok := exact(re.Sub[0])
		return append(set, ""), ok && len(set) < maxSet
	case syntax.OpConcat:
		set := []string{""}
		for _, sub := range re.Sub {
			next, ok := exact(sub)
			if !ok {
				return nil, false
			}
			if set, ok = product(set, next); !ok {
				return nil, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		var set []string
		for _, sub := range re.Sub {
			next, ok := exact(sub)
			if !ok || len(set)+len(next) > maxSet {
				return nil, false
			}
			set = append(set, next...)
		}
		return set, true
	}
	return nil, false
}

// classSet lists a character class's runes, lowered; too many: ok false.
func classSet(ranges []rune) ([]string, bool) {
	seen := map[string]bool{}
	for i := 0; i < len(ranges); i += 2 {
		if ranges[i+1]-ranges[i] > 16 {
			return nil, false
		}
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			seen[lowered([]rune{r})] = true
			if len(seen) > 16 {
				return nil, false
			}
		}
	}
	set := make([]string, 0, len(seen))
	for s := range seen {
		set = append(set, s)
	}
	return set, true
}

// product is every text of a followed by one of b; ok false if too many.
func product(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxSet {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out, true
}

// lowered is runes as the keyword search sees them: ASCII letters
// lowered, any rune outside ASCII a zero byte.
func lowered(runes []rune) string {
	b := make([]byte, len(runes))
	for i, r := range runes {
		switch {
		case r >= 'A' && r <= 'Z':
			b[i] = byte(r) + 'a' - 'A'
		case r < utf8.RuneSelf:
			b[i] = byte(r)
		}
	}
	return string(b)
}

// allHold reports whether each text holds one of words.
func allHold(set []string, words []string) bool {
	for _, s := range set {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) }) {
			return false
		}
	}
	return len(set) > 0
}

// maxLen is the longest match of re in bytes (of UTF-8 text; an invalid
// byte counts one), or unbounded.
func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return runesLen(re.Rune, re.Flags)
	case syntax.OpCharClass:
		most := 0
		ranges := safeClass(re.Rune)
		for i := 1; i < len(ranges); i += 2 {
			most = max(most, runeBytes(ranges[i]))
		}
		return most
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return times(maxLen(re.Sub[0]), -1)
	case syntax.OpRepeat:
		return times(maxLen(re.Sub[0]), re.Max)
	case syntax.OpConcat:
		sum := 0
		for _, sub := range re.Sub {
			sum = min(unbounded, sum+maxLen(sub))
		}
		return sum
	case syntax.OpAlternate:
		most := 0
		for _, sub := range re.Sub {
			most = max(most, maxLen(sub))
		}
		return most
	}
	return 0 // empty-width assertions, empty match, no match
}

// maxLines is the most newlines a match of re can hold, or unbounded.
func maxLines(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.Count(string(re.Rune), "\n")
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxLines(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return times(maxLines(re.Sub[0]), -1)
	case syntax.OpRepeat:
		return times(maxLines(re.Sub[0]), re.Max)
	case syntax.OpConcat:
		sum := 0
		for _, sub := range re.Sub {
			sum = min(unbounded, sum+maxLines(sub))
		}
		return sum
	case syntax.OpAlternate:
		most := 0
		for _, sub := range re.Sub {
			most = max(most, maxLines(sub))
		}
		return most
	}
	return 0
}

// times is n repeated up to most times (-1: without bound).
func times(n, most int) int {
	switch {
	case n == 0:
		return 0
	case most < 0 || n >= unbounded:
		return unbounded
	}
	return min(unbounded, n*most)
}

// runesLen is the most bytes a literal of runes matches; with case
// folding, a rune matches the longest of its case variants (k matches
// the three-byte Kelvin sign).
func runesLen(runes []rune, flags syntax.Flags) int {
	n := 0
	for _, r := range runes {
		w := runeBytes(r)
		if flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if f != '\u212a' && f != '\u017f' { // texts holding them are not windowed
					w = max(w, runeBytes(f))
				}
			}
		}
		n += w
	}
	return n
}

// runeBytes is the UTF-8 length of r; invalid runes match one byte, or
// three for U+FFFD's own encoding.
func runeBytes(r rune) int {
	switch {
	case r < 0x80:
		return 1
	case r < 0x800:
		return 2
	case r < 0x10000:
		return 3
	}
	return 4
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
