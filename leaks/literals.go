package leaks

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

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
