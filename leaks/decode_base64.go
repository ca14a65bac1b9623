package leaks

import "strings"

// Base64 as gitleaks decodes it: a run holding a digit or one of "+/-_"
// is tried with encoding/base64's StdEncoding, then RawURLEncoding, and the
// first whose decoding succeeds and is all printable wins. Both accept any
// trailing bits. The run's bytes are [\w/+-] and at most two '=' at its
// end, so StdEncoding takes it when its length, '=' included, is a multiple
// of 4 and it holds no '-' or '_'; RawURLEncoding when it holds no '=', '+'
// or '/' and its length is not 1 more than a multiple of 4. The decoding
// here stops at the first byte that is not printable.

// invalid64 marks a byte out of an alphabet in the tables below.
const invalid64 = 0xff

// Decoding tables: each byte's 6 bits, or invalid64.
var stdTable, urlTable = base64Table('+', '/'), base64Table('-', '_')

// base64Table returns the decoding table of the alphabet A-Z a-z 0-9 c62 c63.
func base64Table(c62, c63 byte) (t [256]byte) {
	for i := range t {
		t[i] = invalid64
	}
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for i := range len(letters) {
		t[letters[i]] = byte(i)
	}
	t[c62], t[c63] = 62, 63
	return t
}

// appendBase64 decodes v, a base64 run, as gitleaks does.
func appendBase64(dst []byte, v string) ([]byte, bool) {
	if strings.IndexAny(v, "0123456789+/-_") < 0 {
		return dst, false
	}
	body := strings.TrimRight(v, "=")
	if len(v)%4 == 0 {
		if out, ok := appendBase64With(dst, body, &stdTable); ok {
			return out, true
		}
	}
	if len(body) == len(v) && len(v)%4 != 1 {
		if out, ok := appendBase64With(dst, body, &urlTable); ok {
			return out, true
		}
	}
	return dst, false
}

// appendBase64With decodes s, base64 without padding whose length is not 1
// more than a multiple of 4, with table t; ok is false when a byte is out
// of t's alphabet or a decoded byte is not printable.
func appendBase64With(dst []byte, s string, t *[256]byte) (_ []byte, ok bool) {
	for len(s) >= 4 {
		a, b, c, d := t[s[0]], t[s[1]], t[s[2]], t[s[3]]
		if a|b|c|d == invalid64 {
			return dst, false
		}
		x := uint(a)<<18 | uint(b)<<12 | uint(c)<<6 | uint(d)
		if dst, ok = appendPrintable(dst, byte(x>>16), byte(x>>8), byte(x)); !ok {
			return dst, false
		}
		s = s[4:]
	}
	switch len(s) {
	case 2:
		a, b := t[s[0]], t[s[1]]
		if a|b == invalid64 {
			return dst, false
		}
		return appendPrintable(dst, a<<2|b>>4)
	case 3:
		a, b, c := t[s[0]], t[s[1]], t[s[2]]
		if a|b|c == invalid64 {
			return dst, false
		}
		return appendPrintable(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}

// appendPrintable appends bs to dst if all are printable.
func appendPrintable(dst []byte, bs ...byte) ([]byte, bool) {
	for _, b := range bs {
		if !printable(b) {
			return dst, false
		}
	}
	return append(dst, bs...), true
}
