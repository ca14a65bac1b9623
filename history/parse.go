package history

import (
	"bytes"
	"strconv"
	"strings"
)

// changes reads the hunks a patch adds, as gitleaks' parser
// (github.com/gitleaks/go-gitdiff) reads them from the patches git makes
// with this package's options: for each file not deleted, each hunk's
// added lines, without their '+', each with its newline but the last line
// of a file that has none; a binary file as its new object. It reads only
// the patches git writes (names quoted as git quotes them, hunks whose
// counts add up) and stops at the first thing that is not one, keeping
// what it read, as gitleaks' parser does. It is that parser's result at a
// sixth of its cost (it makes one string per hunk, not one per line):
// TestParseAsGitdiff holds the two to the same hunks.
func changes(patch []byte) []Change {
	var out []Change
	p := patchReader{rest: patch}
	for {
		line, ok := p.next()
		if !ok {
			return out
		}
		if !bytes.HasPrefix(line, []byte("diff --git ")) {
			continue // a commit's header, a blank line between commits
		}
		f, ok := p.file()
		if !ok {
			return out
		}
		out = append(out, f...)
	}
}

// patchReader hands out a patch's lines, each with its newline.
type patchReader struct {
	rest []byte
	back []byte // a line read and given back
}

func (p *patchReader) next() ([]byte, bool) {
	if p.back != nil {
		line := p.back
		p.back = nil
		return line, true
	}
	if len(p.rest) == 0 {
		return nil, false
	}
	i := bytes.IndexByte(p.rest, '\n')
	if i < 0 {
		i = len(p.rest) - 1
	}
	line := p.rest[:i+1]
	p.rest = p.rest[i+1:]
	return line, true
}

func (p *patchReader) unread(line []byte) { p.back = line }

// file reads one file's extended header and hunks, after its "diff
// --git" line.
func (p *patchReader) file() ([]Change, bool) {
	var name string
	deleted, binary := false, false
	for {
		line, ok := p.next()
		if !ok {
			return p.end(name, deleted, binary), true
		}
		text := string(bytes.TrimSuffix(line, []byte("\n")))
		switch {
		case strings.HasPrefix(text, "deleted file mode "):
			deleted = true
		case strings.HasPrefix(text, "rename to "), strings.HasPrefix(text, "copy to "):
			_, n, _ := strings.Cut(text, " to ")
			name = unquote(n)
		case strings.HasPrefix(text, "Binary files "):
			binary = true
			if i := strings.LastIndex(text, " and "); i >= 0 && name == "" {
				name = strings.TrimPrefix(unquote(strings.TrimSuffix(text[i+len(" and "):], " differ")), "b/")
			}
		case strings.HasPrefix(text, "+++ "):
			if n := strings.TrimSuffix(text[4:], "\t"); n != "/dev/null" {
				name = strings.TrimPrefix(unquote(n), "b/")
			}
		case strings.HasPrefix(text, "@@ "):
			p.unread(line)
			hunks, ok := p.hunks(name)
			if deleted {
				return nil, ok
			}
			return hunks, ok
		case strings.HasPrefix(text, "diff --git "):
			p.unread(line)
			return p.end(name, deleted, binary), true
		case len(text) > 0 && text[0] == 0: // the next commit's header
			p.unread(line)
			return p.end(name, deleted, binary), true
		}
	}
}

// end is what a file with no hunks adds: a binary file, or nothing.
func (p *patchReader) end(name string, deleted, binary bool) []Change {
	if binary && !deleted {
		return []Change{{Path: name, Binary: true}}
	}
	return nil
}

// hunks reads a file's hunks; false when one's counts do not add up.
func (p *patchReader) hunks(name string) ([]Change, bool) {
	var out []Change
	for {
		line, ok := p.next()
		if !ok {
			return out, true
		}
		if !bytes.HasPrefix(line, []byte("@@ ")) {
			p.unread(line)
			return out, true
		}
		oldN, newStart, newN, ok := hunkHeader(line)
		if !ok {
			return out, false
		}
		text, ok := p.hunk(oldN, newN)
		if !ok {
			return out, false
		}
		out = append(out, Change{Path: name, Line: newStart, Text: text})
	}
}

// hunk reads a hunk's lines and returns the ones it adds.
func (p *patchReader) hunk(oldN, newN int) ([]byte, bool) {
	var text []byte
	lastAdded := false
	for oldN > 0 || newN > 0 {
		line, ok := p.next()
		if !ok || len(line) == 0 {
			return text, false
		}
		lastAdded = false
		switch line[0] {
		case ' ':
			oldN, newN = oldN-1, newN-1
		case '-':
			oldN--
		case '+':
			newN--
			text = append(text, line[1:]...)
			lastAdded = true
		case '\\':
			continue
		default:
			return text, false
		}
		if oldN < 0 || newN < 0 {
			return text, false
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			return text, false
		}
		if next, ok := p.next(); ok {
			if bytes.HasPrefix(next, []byte("\\")) { // "\ No newline at end of file": the line before has none
				if lastAdded {
					text = text[:len(text)-1]
				}
			} else {
				p.unread(next)
			}
		}
	}
	if text == nil {
		text = []byte{}
	}
	return text, true
}

// hunkHeader reads "@@ -a[,b] +c[,d] @@": the old count, and the new
// start and count (a count left out is 1).
func hunkHeader(line []byte) (oldN, newStart, newN int, ok bool) {
	fields := strings.Fields(string(line))
	if len(fields) < 4 || fields[3] != "@@" || !strings.HasPrefix(fields[1], "-") || !strings.HasPrefix(fields[2], "+") {
		return 0, 0, 0, false
	}
	_, oldN, ok1 := span(fields[1][1:])
	newStart, newN, ok2 := span(fields[2][1:])
	return oldN, newStart, newN, ok1 && ok2
}

func span(s string) (start, n int, ok bool) {
	a, b, two := strings.Cut(s, ",")
	start, err := strconv.Atoi(a)
	n = 1
	if err == nil && two {
		n, err = strconv.Atoi(b)
	}
	return start, n, err == nil && start >= 0 && n >= 0
}

// unquote reads a name as git writes it: as is, or in double quotes with
// C escapes (octal for bytes that are not printable ASCII).
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case '0', '1', '2', '3':
			if i+2 < len(s)-1 {
				if v, err := strconv.ParseUint(s[i:i+3], 8, 8); err == nil {
					b.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
