package leaks

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// The differential fuzz test: the same fragment to our detector and to
// gitleaks' (the oracle, in tests only), with the same rules; the findings
// must be the same, file, lines, columns, rule, match and secret.
//
// Its inputs are templates, so that the committed corpus holds no secret
// (a scanner of this repository would flag it): a byte 0x01-0x05 followed
// by a byte k stands for secret k of a planted set, as it is (0x01), in
// base64 (0x02), hex (0x03), percent-encoded (0x04) or as \u escapes
// (0x05); every other byte stands for itself.

// planted are secrets for a dozen rules, from a seeded generator.
var planted = sync.OnceValue(func() []string {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const (
		upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		alnum = "abcdefghijklmnopqrstuvwxyz0123456789" + upper
		lower = "abcdefghijklmnopqrstuvwxyz0123456789"
		hexd  = "0123456789abcdef"
	)
	return []string{
		"AKIA" + pick(upper+"234567", 16),
		"ghp_" + pick(alnum, 36),
		"glpat-" + pick(alnum, 20),
		"xoxb-" + pick("0123456789", 12) + "-" + pick("0123456789", 12) + "-" + pick(alnum, 24),
		"npm_" + pick(lower, 36),
		"shpat_" + pick(hexd, 32),
		"api_key = \"" + pick(alnum, 32) + "\"",
		"token: '" + pick(alnum, 24) + "'",
		"-----BEGIN RSA PRIVATE KEY-----\n" + pick(alnum, 64) + "\n" + pick(alnum, 64) + "\n-----END RSA PRIVATE KEY-----",
		"sk_live_" + pick(alnum, 30),
		"password=" + pick(alnum, 16),
		"eyJ" + pick(alnum, 30) + ".eyJ" + pick(alnum, 40) + "." + pick(alnum, 40),
	}
})

// expand turns a template into the text it stands for.
func expand(template string) string {
	var b strings.Builder
	for i := 0; i < len(template); i++ {
		c := template[i]
		if c < 0x01 || c > 0x05 || i+1 >= len(template) {
			b.WriteByte(c)
			continue
		}
		secret := planted()[int(template[i+1])%len(planted())]
		i++
		switch c {
		case 0x01:
			b.WriteString(secret)
		case 0x02:
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(secret)))
		case 0x03:
			b.WriteString(hex.EncodeToString([]byte(secret)))
		case 0x04:
			b.WriteString(url.QueryEscape(secret))
		case 0x05:
			for _, r := range secret {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
		}
	}
	return b.String()
}

var fuzzDetectors = sync.OnceValues(func() (*detect.Detector, *Detector) {
	g, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		panic(err)
	}
	return g, New(fromGitleaks(g.Config))
})

func FuzzDetect(f *testing.F) {
	for _, seed := range []string{
		"\x01\x00", "x = \x01\x01\n", "\x01\x06 # gitleaks:allow", "key: \x02\x07\n", "\x03\x01", "\x04\x06", "\x05\x07",
		"a\x01\x02b\x01\x03c\n\n\x01\x04\x01\x05", "\x01\x08\n\x01\x09", "\xff\xfe\x01\x06\xc3", "\u212aey = \x01\x07",
		"\u017fecret: \x01\x07", "api_key = \"\u0130nvalid12345678\"", "\x02\x02\x02\x03", "token=${SECRET}",
		strings.Repeat("k", 300) + "ey=\x01\x07", "\r\n\x01\x0a\r\n", "\x01\x0b",
	} {
		f.Add(seed, uint8(5))
	}
	f.Fuzz(func(t *testing.T, template string, depth uint8) {
		text := expand(template)
		if len(text) > 1<<16 {
			return
		}
		g, d := fuzzDetectors()
		want, got := compareFragment(t, g, d, text, int(depth%6))
		if !slices.Equal(want, got) {
			t.Fatalf("text %q depth %d:\n gitleaks %q\n ours     %q", text, depth%6, want, got)
		}
	})
}

// compareFragment runs both detectors on one fragment of a file f.txt.
func compareFragment(t *testing.T, g *detect.Detector, d *Detector, text string, depth int) (want, got []string) {
	g.MaxDecodeDepth = depth // the fuzz function runs one input at a time
	for _, x := range g.DetectContext(context.Background(), detect.Fragment{Raw: text, FilePath: "f.txt", StartLine: 1}) {
		want = append(want, key(x.File, x.RuleID, x.StartLine, x.EndLine, x.StartColumn, x.EndColumn, x.Match, x.Secret)+fmt.Sprint(x.Tags))
	}
	d.MaxDecodeDepth = depth
	found, err := d.Detect(context.Background(), Fragment{Raw: text, Path: "f.txt", StartLine: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range found {
		got = append(got, key(x.File, x.RuleID, x.StartLine, x.EndLine, x.StartColumn, x.EndColumn, x.Match, x.Secret)+fmt.Sprint(x.Tags))
	}
	sort.Strings(want)
	sort.Strings(got)
	return want, got
}
