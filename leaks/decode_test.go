package leaks

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Encoders for the tests' nested encodings.
var (
	b64    = base64.StdEncoding.EncodeToString
	b64url = base64.RawURLEncoding.EncodeToString
	hexs   = hex.EncodeToString
)

// pct percent-encodes every byte of s.
func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// esc escapes every byte of s as "\u00XX".
func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\u%04x`, s[i])
	}
	return b.String()
}

// codePoints writes every byte of s as "U+00XX ".
func codePoints(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "U+%04X ", s[i])
	}
	return b.String()
}

// nest encodes s with each of encs in turn.
func nest(s string, encs ...func(string) string) string {
	for _, e := range encs {
		s = e(bytesOf(e, s))
	}
	return s
}

// bytesOf returns s, as the encoders take strings or bytes alike.
func bytesOf(_ func(string) string, s string) string { return s }

// hexOf and b64Of adapt the byte encoders to strings.
func hexOf(s string) string { return hexs([]byte(s)) }
func b64Of(s string) string { return b64([]byte(s)) }
func urlOf(s string) string { return b64url([]byte(s)) }

// decodeCases are texts to decode, each covering a behaviour of gitleaks'
// decoder.
var decodeCases = []struct{ name, text string }{
	{"empty", ""},
	{"plain", "nothing to decode here\n"},
	{"base64 padded", "token: bG9uZ2VyLWVuY29kZWQtc2VjcmV0LXRlc3Q="},
	{"base64 in an env var", "some-encoded-secret=dGVzdC1zZWNyZXQtdmFsdWU="},
	{"base64 url", "Z2l0bGVha3M-PmZpbmRzLXNlY3JldHM"},
	{"base64 url underscore", "YjY0dXJsc2FmZS10ZXN0LXNlY3JldC11bmRlcnNjb3Jlcz8_"},
	{"base64 three pads", "aGVsbG8gd29ybGQgaGVsbG8==="},
	{"base64 one pad of two", "aGVsbG8gd29ybGQgaGVsbA=="},
	{"base64 no hint", "ThisIsAVeryLongIdentifierName"},
	{"base64 not printable", "AAAAAAAAAAAAAAAAAAAAAAAA1"},
	{"base64 length 4n+1", "aGVsbG8gd29ybGQgaGVsbG8gd"},
	{"base64 mixed alphabets", "aGVsbG8-d29ybGQgaGVsbG8/"},
	{"base64 of 15 bytes", "aGVsbG8gd29ybGQ"},
	{"base64 two runs touching", "aGVsbG8gd29ybGQgaGVsbG8=aGVsbG8gd29ybGQgaGVsbG8="},
	{"base64 then unicode touching", "aGVsbG8gd29ybGQgaGVsbA==U+0041 "},
	{"base64 after non-ASCII", "ſaGVsbG8gd29ybGQgaGVsbG8=K"},
	{"hex", "secret " + hexOf("a hex encoded secret value")},
	{"hex odd", "61206865782065e636f646564207365637265742076616c7565"},
	{"hex no digit", "abcdefabcdefabcdefabcdefabcdefabcdefab"},
	{"hex not printable", "00000000000000000000000000000000"},
	{"hex then base64 touching", hexOf("0123456789abcdef") + "ghijklmnopqrstuvwxyz0"},
	{"hex inside a base64 run", "xyz" + hexOf("0123456789abcdef")},
	{"hex 31", hexOf("0123456789abcde") + "f"},
	{"percent", "a%41b"},
	{"percent greedy", "x %41 y %42 z %43 w\nnext %44 line"},
	{"percent last incomplete", "%41 then %4"},
	{"percent bad hex", "%zz%41%g1"},
	{"percent not printable", "%41%00%42"},
	{"percent newline", "%41%0A%42\n%250A"},
	{"percent invalid UTF-8", "\xff%41\xfe\xe2%42\xe2"},
	{"percent then unicode", `%41\u0042`},
	{"percent at end", "abc%4"},
	{"unicode code point at end", "U+0041"},
	{"unicode code points", "U+0074 U+006F U+006B U+0065 U+006E"},
	{"unicode code point spaces", "U+0041\tU+0042\rU+0043\fU+0044\nU+0045 x"},
	{"unicode code point vertical tab", "U+0041\vU+0042 "},
	{"unicode code point glued", "U+0041x"},
	{"unicode code point in a word", "abcU+0041 "},
	{"unicode code point in a long word", "abcdefghijklmnopU+0041 "},
	{"unicode code point lower", "u+0041 "},
	{"unicode escapes", `\u0074\u006f\u006b\u0065\u006e`},
	{"unicode escapes doubled", `\\u0074\\u006f\\u006b`},
	{"unicode escapes tripled", `\\\u0074`},
	{"unicode escapes capital", `\U0074\U006F`},
	{"unicode escape trailing hex", `\u00411234`},
	{"unicode surrogate", `\uD800 U+DFFF `},
	{"unicode zero", `\u0000`},
	{"unicode mixed", `U+0041 \u0042U+0043`},
	{"unicode escape then base64", `\u0041aGVsbG8gd29ybGQgaGVsbG8=`},
	{"unicode non-BMP pair", `\uD83D\uDE00`},
	{"nested base64", nest("a nested secret", b64Of, b64Of, b64Of)},
	{"nested hex base64", nest("a nested secret value!", hexOf, b64Of)},
	{"nested percent base64", "x=" + nest("a nested secret", b64Of, pct) + "\n"},
	{"nested escapes hex", nest("a nested secret value!", hexOf, esc)},
	{"nested code points url", nest("a nested secret value?", urlOf, codePoints)},
	{"nested deep", nest("deep", b64Of, hexOf, b64Of, pct, b64Of, esc, b64Of, b64Of, b64Of, b64Of, b64Of)},
	{"nested side by side", nest("one secret here", b64Of, b64Of) + " and " + nest("two secrets here", hexOf) + "\n" + nest("three", pct, b64Of)},
	{"nested across runs", b64Of("aGVsbG8g") + b64Of("d29ybGQgaGVsbG8=")},
	{"decoded newline", b64Of("line one\nline two %41\n") + "\n" + b64Of("\tline three")},
	{"invalid UTF-8", "\xff\xfe" + b64Of("secret value here") + "\xc0\x80" + pct("x") + "\xe2\x82"},
}

// TestDecode compares the passes over each case with gitleaks'.
func TestDecode(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) { compareDecode(t, c.text, 2000) })
	}
}

// TestDecodeResult checks the full decoding of a few cases.
func TestDecodeResult(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"token: bG9uZ2VyLWVuY29kZWQtc2VjcmV0LXRlc3Q=", "token: longer-encoded-secret-test"},
		{"x %41 y %42\n%43", "x A y B\nC"},
		{"U+0074 U+006F U+006B U+0065 U+006E", "token"},
		{`\u0074\\u006F\U006b`, "tok"},
		{nest("a deep secret value", b64Of, hexOf, pct, esc), "a deep secret value"},
	} {
		d, text, segs := newDecoder(), c.text, []*segment(nil)
		for range maxPasses {
			if text, segs = d.decode(text, segs); len(segs) == 0 {
				break
			}
		}
		if text != c.want {
			t.Errorf("decode(%q) = %q, want %q", c.text, text, c.want)
		}
	}
}

// FuzzDecode compares the passes over random texts with gitleaks'.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) { compareDecode(t, text, 200) })
}

// randomPieces are the pieces TestDecodeRandom builds texts of.
var randomPieces = []string{
	"%41", "%4", "%", "%0A", "%00", "%7e", "%25", "U+0041", "U+00", "U+", "U",
	`\u0041`, `\\u0042`, `\U004A`, `\`, `\\`, "u0041", " ", "\t", "\n", "\r",
	"\f", "\v", "=", "==", "+", "/", "-", "_", "0", "9", "a", "f", "g", "Z",
	"ſ", "\xff", "\xe2\x82", "é", "deadbeefcafe0123", "aGVsbG8gd29ybGQ",
	"dGVzdC1zZWNyZXQtdmFsdWU=", "0123456789abcdef0123456789ABCDEF",
}

// randomText returns a text of pieces and nested encodings of them,
// nested up to depth.
func randomText(rng *rand.Rand, depth int) string {
	var b strings.Builder
	for range 1 + rng.IntN(8) {
		piece := randomPieces[rng.IntN(len(randomPieces))]
		if depth > 0 && rng.IntN(4) == 0 {
			piece = randomText(rng, depth-1)
		}
		encs := []func(string) string{b64Of, urlOf, hexOf, pct, esc, codePoints, strings.ToUpper}
		for range rng.IntN(3) {
			piece = encs[rng.IntN(len(encs))](piece)
		}
		b.WriteString(piece)
	}
	return b.String()
}

// TestDecodeRandom compares the passes over random texts of encoded
// pieces with gitleaks'.
func TestDecodeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		compareDecode(t, randomText(rng, 2), 100)
	}
}
