package leaks

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unbounded stands for a length or a count with no bound.
const unbounded = 1 << 30

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
