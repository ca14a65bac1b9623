package leaks

import (
	"regexp"
	"strings"
)

// anyOf is a list of patterns that gitleaks joins into one expression,
// "(?:a|b|c)", and matches as one; here each runs on its own, which is
// many times faster with Go's regexp (small expressions run on its
// backtracker). It keeps the one way joining changes meaning: a flag set
// at the top level of one pattern ("(?i)x") holds in the join for the
// patterns after it too, so each pattern is prefixed with the flags those
// before it set.
type anyOf []pattern

// pattern is an expression with texts one of which every match holds, to
// look for before running it; nil if none are known.
type pattern struct {
	re    *regexp.Regexp
	musts []string
}

// compileAnyOf compiles patterns as gitleaks' join would match them.
func compileAnyOf(patterns []string) (anyOf, error) {
	if _, err := regexp.Compile(joinOr(patterns)); err != nil {
		return nil, err
	}
	out := make(anyOf, 0, len(patterns))
	leaked := ""
	for _, p := range patterns {
		src := leaked + "(?:" + p + ")"
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, err
		}
		out = append(out, pattern{re: re, musts: mustsOf(src)})
		leaked += topFlags(p)
	}
	return out, nil
}

func joinOr(patterns []string) string {
	return "(?:" + strings.Join(patterns, "|") + ")"
}

// MatchString reports whether one of the patterns matches s.
func (a anyOf) MatchString(s string) bool {
	safe := !unsafeFold(s)
	for _, p := range a {
		if safe && p.musts != nil && !holdsAny(s, p.musts) {
			continue
		}
		if p.re.MatchString(s) {
			return true
		}
	}
	return false
}

// holdsAny reports whether s holds one of texts, ASCII case aside (texts
// are lowered).
func holdsAny(s string, texts []string) bool {
	s = lowerASCIIString(s)
	for _, t := range texts {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

// lowerASCIIString is s with its ASCII letters lowered (s itself if it
// has no capitals).
func lowerASCIIString(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		b[i] = lowerASCII(b[i])
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// topFlags returns the flag groups ("(?i)", "(?-s)") that p sets at its
// top level, outside every group, in order.
func topFlags(p string) string {
	var out strings.Builder
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if strings.HasPrefix(p[i:], `\Q`) {
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					return out.String()
				}
				i += end + 3
				continue
			}
			i++
		case '[':
			i = closingBracket(p, i)
		case '(':
			if depth == 0 {
				if g, ok := flagGroup(p[i:]); ok {
					out.WriteString(g)
					i += len(g) - 1
					continue
				}
			}
			depth++
		case ')':
			depth--
		}
	}
	return out.String()
}

// flagGroup reports whether s starts with a bare flag group, "(?flags)".
func flagGroup(s string) (string, bool) {
	if !strings.HasPrefix(s, "(?") {
		return "", false
	}
	for j := 2; j < len(s); j++ {
		switch c := s[j]; {
		case c == ')':
			return s[:j+1], j > 2
		case strings.IndexByte("imsU-", c) < 0:
			return "", false
		}
	}
	return "", false
}

// closingBracket returns the index of the ']' that closes the class opened at
// p[i] ("[]a]" and "[^]a]" hold a ']'; "[[:alpha:]]" a named class).
func closingBracket(p string, i int) int {
	j := i + 1
	if j < len(p) && p[j] == '^' {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++
	}
	for ; j < len(p); j++ {
		switch {
		case p[j] == '\\':
			j++
		case strings.HasPrefix(p[j:], "[:"):
			if end := strings.Index(p[j+2:], ":]"); end >= 0 {
				j += end + 3
			}
		case p[j] == ']':
			return j
		}
	}
	return len(p)
}
