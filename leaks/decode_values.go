package leaks

import (
	"strings"
	"unicode/utf8"
)

// This file decodes the runs runScanner finds, each as gitleaks does; a run
// gitleaks decodes to "" is left as it is.

// appendDecoded appends the decoding of v, a run of encoding enc, to dst;
// ok is false, and dst as it was, when gitleaks decodes v to "".
func appendDecoded(dst []byte, enc encoding, v string) (_ []byte, ok bool) {
	n := len(dst)
	switch enc {
	case percentEnc:
		dst, ok = appendPercent(dst, v)
	case unicodeEnc:
		dst, ok = appendUnicode(dst, v), true
	case hexEnc:
		dst, ok = appendHex(dst, v)
	case base64Enc:
		dst, ok = appendBase64(dst, v)
	}
	if !ok {
		return dst[:n], false
	}
	return dst, true
}

// printable reports whether gitleaks takes b for printable ASCII: a byte
// from \t to ~ (so \t \n \v \f \r are printable).
func printable(b byte) bool { return '\x08' < b && b < '\x7f' }

// unhex returns the value of c, a hex digit.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// appendPercent decodes every "%XX" of v; any other byte is kept. Every
// decoded byte must be printable.
func appendPercent(dst []byte, v string) ([]byte, bool) {
	for {
		i := strings.IndexByte(v, '%')
		if i < 0 || i+2 >= len(v) {
			return append(dst, v...), true
		}
		dst = append(dst, v[:i]...)
		if !isHex(v[i+1]) || !isHex(v[i+2]) {
			dst = append(dst, '%')
			v = v[i+1:]
			continue
		}
		b := unhex(v[i+1])<<4 | unhex(v[i+2])
		if !printable(b) {
			return dst, false
		}
		dst = append(dst, b)
		v = v[i+3:]
	}
}

// appendHex decodes v, hex digits, which must be even in number, hold a
// decimal digit and decode to printable bytes.
func appendHex(dst []byte, v string) ([]byte, bool) {
	if len(v)%2 != 0 || strings.IndexAny(v, "0123456789") < 0 {
		return dst, false
	}
	for i := 0; i < len(v); i += 2 {
		b := unhex(v[i])<<4 | unhex(v[i+1])
		if !printable(b) {
			return dst, false
		}
		dst = append(dst, b)
	}
	return dst, true
}

// appendUnicode decodes v, a run of code points "U+XXXX" each followed by
// a space byte (but perhaps the last), or of escapes "\uXXXX" and
// "\\uXXXX" (u or U), into the code points' UTF-8 (U+FFFD for a
// surrogate). It never fails.
func appendUnicode(dst []byte, v string) []byte {
	for i := 0; i < len(v); {
		if v[i] == 'U' {
			dst = utf8.AppendRune(dst, hex4(v[i+2:]))
			i += 7 // the code point and its space, if any
			continue
		}
		for v[i] == '\\' {
			i++
		}
		dst = utf8.AppendRune(dst, hex4(v[i+1:]))
		i += 5
	}
	return dst
}

// hex4 returns the value of the four hex digits starting s.
func hex4(s string) rune {
	return rune(unhex(s[0]))<<12 | rune(unhex(s[1]))<<8 | rune(unhex(s[2]))<<4 | rune(unhex(s[3]))
}
