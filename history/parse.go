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
	added, hunks := measure(patch)
	out := make([]Change, 0, hunks)
	p := patchReader{rest: patch, text: make([]byte, 0, added)}
	for {
		line, ok := p.next()
		if !ok {
			return out
		}
		if !bytes.HasPrefix(line, []byte("diff --git ")) {
			continue // a commit's header, a blank line between commits
		}
		more, ok := p.file(out)
		if !ok {
			return out // the file that is not one is left out, and the rest
		}
		out = more
	}
}

// patchReader hands out a patch's lines, each with its newline.
type patchReader struct {
	rest []byte
	back []byte // a line read and given back
	// text holds every hunk's added lines one after the other, each
	// hunk's Text a slice of it: one allocation for a patch, not one
	// growing slice per hunk.
	text []byte
}

// measure bounds what changes makes of patch: the bytes of the lines it
// adds (of every line that starts with '+', without it), and its hunks
// (the lines that start with "@@").
func measure(patch []byte) (added, hunks int) {
	for len(patch) > 0 {
		end := bytes.IndexByte(patch, '\n') + 1
		if end == 0 {
			end = len(patch)
		}
		switch {
		case patch[0] == '+':
			added += end - 1
		case end > 1 && patch[0] == '@' && patch[1] == '@':
			hunks++
		}
		patch = patch[end:]
	}
	return added, hunks
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
// --git" line, and appends its changes to out.
func (p *patchReader) file(out []Change) ([]Change, bool) {
	var name string
	deleted, binary := false, false
	for {
		line, ok := p.next()
		if !ok {
			return p.end(out, name, deleted, binary), true
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
			hunks, ok := p.hunks(out, name)
			if deleted {
				return out, ok
			}
			return hunks, ok
		case strings.HasPrefix(text, "diff --git "):
			p.unread(line)
			return p.end(out, name, deleted, binary), true
		case len(text) > 0 && text[0] == 0: // the next commit's header
			p.unread(line)
			return p.end(out, name, deleted, binary), true
		}
	}
}

// end appends what a file with no hunks adds: a binary file, or nothing.
func (p *patchReader) end(out []Change, name string, deleted, binary bool) []Change {
	if binary && !deleted {
		return append(out, Change{Path: name, Binary: true})
	}
	return out
}

// hunks reads a file's hunks and appends them to out; false when one's
// counts do not add up.
func (p *patchReader) hunks(out []Change, name string) ([]Change, bool) {
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

// hunk reads a hunk's lines and returns the ones it adds, a slice of
// p.text.
func (p *patchReader) hunk(oldN, newN int) ([]byte, bool) {
	start := len(p.text)
	text := func() []byte { return p.text[start:len(p.text):len(p.text)] }
	lastAdded := false
	for oldN > 0 || newN > 0 {
		line, ok := p.next()
		if !ok || len(line) == 0 {
			return text(), false
		}
		lastAdded = false
		switch line[0] {
		case ' ':
			oldN, newN = oldN-1, newN-1
		case '-':
			oldN--
		case '+':
			newN--
			p.text = append(p.text, line[1:]...)
			lastAdded = true
		case '\\':
			continue
		default:
			return text(), false
		}
		if oldN < 0 || newN < 0 {
			return text(), false
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			return text(), false
		}
		if next, ok := p.next(); ok {
			if bytes.HasPrefix(next, []byte("\\")) { // "\ No newline at end of file": the line before has none
				if lastAdded {
					p.text = p.text[:len(p.text)-1]
				}
			} else {
				p.unread(next)
			}
		}
	}
	return text(), true
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
