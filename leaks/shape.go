package leaks

import (
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
