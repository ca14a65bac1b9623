package output

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/forkscan/forkscan/record"
)

// What the text format shows of a match: at most maxMatchLines lines (a
// tool's code snippet, a private key), each cut to matchWidth runes.
const (
	maxMatchLines = 4
	matchWidth    = 160
)

// names is how the text format names a record's file, so that a person
// can tell two files apart whatever roots the run had.
type names struct {
	base  string            // the working directory, if known
	roots map[string]string // each root as the person named it
	one   bool              // the run has one root (or none said)
}

// show names a record's file: joined to its root as the person named the
// root ("a/client.py" and "b/client.py"; "." left out); else relative to
// the base directory when it is under it; else relative to its root if
// the run has only one, and by its whole name if not.
func (n names) show(r record.Record) string {
	if r.Root == "" {
		return r.Path
	}
	if named, ok := n.roots[r.Root]; ok {
		if named == "." || named == "" {
			return r.Path
		}
		return record.Join(named, r.Path)
	}
	if n.base != "" {
		if rel, err := filepath.Rel(n.base, r.Name()); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return rel
		}
	}
	if n.one {
		return r.Path
	}
	return r.Name()
}

// matchLines is what a finding matched, as lines of text to show: none
// if it is empty, its last line break dropped, long lines cut and lines
// past maxMatchLines said in one.
func matchLines(m string) []string {
	m = strings.TrimRight(m, "\r\n")
	if m == "" {
		return nil
	}
	all := strings.Split(m, "\n")
	var out []string
	for i, l := range all {
		if i == maxMatchLines-1 && len(all) > maxMatchLines {
			out = append(out, fmt.Sprintf("… %d more lines", len(all)-i))
			break
		}
		out = append(out, cut(plain(strings.TrimSuffix(l, "\r")), matchWidth))
	}
	return out
}

// cut is s cut to w runes, an ellipsis saying so.
func cut(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	return string([]rune(s)[:w-1]) + "…"
}

// plain is s made safe to print on a terminal: its control characters
// (escape sequences, line breaks), the characters that reorder text
// (bidirectional controls, as in "Trojan Source") and bytes that are not
// UTF-8 written as Go escapes; a tab is a space.
func plain(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no escaping, the usual case, cheaply.
func isPlain(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && (r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r))) {
			return false
		}
	}
	return true
}
