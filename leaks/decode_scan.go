package leaks

import "strings"

// This file finds the encoded runs of a text: the matches gitleaks finds
// with one regular expression, the alternation, in this order, of
//
//	percent  %XX(.*%XX)?                     XX: two hex digits
//	unicode  (U\+XXXX(\s|$))+ | (\\{1,2}[uU]XXXX)+
//	hex      [0-9A-Fa-f]{32,}
//	base64   [\w/+-]{16,}={0,2}
//
// taken leftmost first, as Go's regexp package does: at the first offset
// where one of them matches, the first in that order wins, and the search
// goes on where its match ends. Every match starts at an ASCII byte, and
// ASCII bytes are never inside a UTF-8 sequence, valid or not, so a scan by
// bytes finds what the regexp's scan by runes does.

// Byte classes of the scanner.
const (
	// b64Byte: [0-9A-Za-z_/+-], base64's run.
	b64Byte = 1 << iota
	// hexByte: [0-9A-Fa-f].
	hexByte
	// spaceByte: \t \n \f \r and space, the regexp's \s.
	spaceByte
	// markByte: '%' and '\\', which start percent and escape runs.
	markByte
)

// markShift shifts markByte to b64Byte.
const markShift = 3

// byteClass holds the classes of every byte.
var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			t[c] = b64Byte | hexByte
		case 'g' <= c && c <= 'z', 'G' <= c && c <= 'Z', c == '_', c == '/', c == '+', c == '-':
			t[c] = b64Byte
		case c == '\t', c == '\n', c == '\f', c == '\r', c == ' ':
			t[c] = spaceByte
		case c == '%', c == '\\':
			t[c] = markByte
		}
	}
	return t
}()

// Minimum lengths of the runs of hex and base64.
const (
	minHexRun    = 32
	minBase64Run = 16
)

// run is an encoded run: the bytes [start,end) of the text, of one encoding.
type run struct {
	span
	enc encoding
}

// isHex reports whether c is a hex digit.
func isHex(c byte) bool { return byteClass[c]&hexByte != 0 }

// isHex4 reports whether s[i:i+4] exists and is four hex digits.
func isHex4(s string, i int) bool {
	return i+4 <= len(s) && isHex(s[i]) && isHex(s[i+1]) && isHex(s[i+2]) && isHex(s[i+3])
}

// runScanner finds the encoded runs of a text one after the other.
type runScanner struct {
	s string
	m blockMasks
	p int // where the search goes on
}

// newRunScanner returns a scanner of the runs of s.
func newRunScanner(s string) runScanner { return runScanner{s: s, m: newBlockMasks(s)} }

// next returns the next run; ok is false when there are no more.
func (sc *runScanner) next() (r run, ok bool) {
	for p := sc.m.startAt(sc.p); p < len(sc.s); p = sc.m.startAt(p) {
		if r, p = sc.runAt(p); r.end != 0 {
			sc.p = r.end
			return r, true
		}
	}
	sc.p = len(sc.s)
	return run{}, false
}

// runAt returns the first run starting in s[p:resume], where s[p] is a
// base64 byte, '%' or '\\'; end 0 when none does, and the search goes on
// at resume.
func (sc *runScanner) runAt(p int) (r run, resume int) {
	s := sc.s
	switch s[p] {
	case '%':
		return percentRun(s, p), p + 1
	case '\\':
		return run{span{p, escapesEnd(s, p)}, unicodeEnc}, p + 1
	}
	end := sc.m.wordEnd(p + 1)
	switch {
	case end-p >= minBase64Run:
		return wordRun(s, p, end), end
	case end-p >= 6 && s[end-6] == 'U':
		return codePointsRun(s, end-6), end
	}
	return run{}, end
}

// classEnd returns the end of the bytes of class cl that start at i.
func classEnd(s string, i int, cl uint8) int {
	for i < len(s) && byteClass[s[i]]&cl != 0 {
		i++
	}
	return i
}

// wordRun returns the run starting at p, where the base64 bytes starting
// at p, at least minBase64Run, end at end: hex if at least minHexRun hex
// digits start it, else base64.
func wordRun(s string, p, end int) run {
	if end-p >= minHexRun && isHex(s[p]) {
		if h := classEnd(s, p+1, hexByte); h-p >= minHexRun {
			return run{span{p, h}, hexEnc}
		}
	}
	e := end
	for e < len(s) && e-end < 2 && s[e] == '=' {
		e++
	}
	return run{span{p, e}, base64Enc}
}

// codePointsRun returns the code points run starting at u, where s[u] is
// 'U' (end 0 when none does). In base64 bytes too few for base64 or hex,
// it is the only run that can start, at six bytes from their end.
func codePointsRun(s string, u int) run {
	return run{span{u, codePointsEnd(s, u)}, unicodeEnc}
}

// percentRun returns the percent run starting at p, where s[p] is '%'
// (end 0 when none does): "%XX", to the last "%XX" on its line if any.
func percentRun(s string, p int) run {
	if p+2 >= len(s) || !isHex(s[p+1]) || !isHex(s[p+2]) {
		return run{}
	}
	r := run{span{p, p + 3}, percentEnc}
	line := s[p+3:]
	if nl := strings.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	for i := len(line) - 3; i >= 0; i-- {
		i = strings.LastIndexByte(line[:i+1], '%')
		if i < 0 {
			break
		}
		if isHex(line[i+1]) && isHex(line[i+2]) {
			r.end = p + 3 + i + 3
			break
		}
	}
	return r
}

// codePointsEnd returns the end of the code points "U+XXXX", each followed
// by one \s byte (which the run holds) or by the text's end, starting at
// i; 0 when none does.
func codePointsEnd(s string, i int) int {
	end := 0
	for i+6 <= len(s) && s[i] == 'U' && s[i+1] == '+' && isHex4(s, i+2) {
		j := i + 6
		if j == len(s) {
			return j
		}
		if byteClass[s[j]]&spaceByte == 0 {
			break
		}
		end = j + 1
		i = end
	}
	return end
}

// escapesEnd returns the end of the escapes "\uXXXX" or "\\uXXXX" (u or
// U) starting at i; 0 when none does. Two backslashes are tried first.
func escapesEnd(s string, i int) int {
	end := 0
	for i < len(s) && s[i] == '\\' {
		switch {
		case i+1 < len(s) && s[i+1] == '\\' && escapeBody(s, i+2):
			i += 7
		case escapeBody(s, i+1):
			i += 6
		default:
			return end
		}
		end = i
	}
	return end
}

// escapeBody reports whether s[i:] starts with u or U and four hex digits.
func escapeBody(s string, i int) bool {
	return i < len(s) && (s[i] == 'u' || s[i] == 'U') && isHex4(s, i+1)
}

// eachKeptRun calls f with each encoded run of s that gitleaks keeps:
// every one but those touching or overlapping a neighbour whose encoding
// ranks higher, kept or not.
func eachKeptRun(s string, f func(run)) {
	sc := newRunScanner(s)
	var prev run // none while its end is 0: a run is never empty
	cur, ok := sc.next()
	for ok {
		next, more := sc.next()
		drop := prev.end != 0 && cur.overlaps(prev.span) && prev.enc.outranks(cur.enc) ||
			more && cur.overlaps(next.span) && next.enc.outranks(cur.enc)
		if !drop {
			f(cur)
		}
		prev, cur, ok = cur, next, more
	}
}
