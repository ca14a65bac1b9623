package leaks

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestWindowsFindWhatFindAllFinds: for expressions of every shape the
// windows handle (keywords at the start, after a bounded or a lazy run,
// in alternations, with \b, ^, $ and (?m) around them, bounded by length
// or by lines) and random texts full of their keywords, newlines, runs of
// word characters, characters outside ASCII and invalid bytes, the
// matcher returns exactly regexp's FindAllStringIndex.
func TestWindowsFindWhatFindAllFinds(t *testing.T) {
	cases := []struct {
		pattern string
		words   []string
	}{
		{`\bkey=([a-z0-9]{4,8})\b`, []string{"key="}},
		{`(?i)[\w.-]{0,10}?(?:key|token)[ \t\w.-]{0,5}[=:][ '"]{0,2}([\w.=-]{4,20}|[a-z0-9][a-z0-9+/]{5,}={0,3})(?:['"\s;]|$)`, []string{"key", "token"}},
		{`[\w.-]{0,6}?(?i:[\w.-]{0,6}?(?:ab|cd))[ \t]{0,3}=\s{0,2}(\w+)`, []string{"ab", "cd"}},
		{`(?m)^(?:ab|cd)[^\n]{0,30}$`, []string{"ab", "cd"}},
		{`x{1,3}(?:ab|abc)y*`, []string{"ab"}},
		{`\b(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{4}\b`, []string{"a3t", "akia", "asia"}},
		{`(?i)\bsk_(?:live|test)_[a-z0-9]{3,}`, []string{"sk_live", "sk_test"}},
		{`ab[\s\S]{0,6}?cd`, []string{"ab"}},
		{`(?i)ab.{0,4}(?:\n.{0,4}){0,2}z`, []string{"ab"}},
		{`é?ab\B\w{0,3}`, []string{"ab"}},
	}
	alphabet := []string{"key=", "token", "KEY", "ab", "AB", "cd", "abc", "a3t", "AKIA", "asia", "sk_live_", "sk_TEST_",
		"x", "y", "z", "=", ":", " ", "\t", "\n", "'", "\"", ";", "-", ".", "_", "0", "9", "Q", "é", "\xff", "\xe2\x82", "+", "/"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		m, err := newMatcher(c.pattern, c.words, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !m.shape.windowed {
			t.Fatalf("%s: not windowed", c.pattern)
		}
		d := New(&Config{Rules: []*Rule{{ID: "r", Regex: c.pattern, Keywords: c.words}}})
		m.mine = []bool{}
		for i := range d.words.words {
			m.mine = append(m.mine, slices.Contains(c.words, d.words.words[i]))
		}
		found := 0
		for range 3000 {
			var b strings.Builder
			for range rng.IntN(60) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			tx := &text{s: b.String()}
			if unsafeFold(tx.s) {
				continue
			}
			d.prepare(tx)
			want := m.re.FindAllStringIndex(tx.s, -1)
			got := m.findAll(tx)
			if len(want) != len(got) || !slices.EqualFunc(want, got, slices.Equal) {
				t.Fatalf("%s on %q:\n FindAll %v\n windows %v", c.pattern, tx.s, want, got)
			}
			found += len(want)
		}
		if found == 0 {
			t.Errorf("%s: no text matched; the case tests nothing", c.pattern)
		}
	}
}

// TestWindowsStayLinear: a text that is nothing but keyword hits, each
// try running to the end of the text (no terminator ever comes), would
// cost tries × length; the windows give up within their budget and the
// expression runs once over the whole text.
func TestWindowsStayLinear(t *testing.T) {
	pattern := `(?i)[\w.-]{0,50}?(?:key)[ \t\w.-]{0,20}[=:]?([a-z0-9]{11,})(?:['"\s;]|$)`
	m, err := newMatcher(pattern, []string{"key"}, []int32{0}, 1)
	if err != nil || !m.shape.windowed {
		t.Fatal("not windowed", err)
	}
	for _, n := range []int{1 << 10, 1 << 13, 1 << 15} {
		s := strings.Repeat("key", n/3) + "#"
		d := New(&Config{Rules: []*Rule{{ID: "r", Regex: pattern, Keywords: []string{"key"}}}})
		tx := &text{s: s}
		d.prepare(tx)
		if _, ok := m.windows(tx, budget(len(s))); ok && len(tx.hits) > 1000 {
			t.Errorf("%d bytes, %d hits: the windows kept going", len(s), len(tx.hits))
		}
		if got, want := m.findAll(tx), m.re.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%d bytes: %v, FindAll %v", len(s), got, want)
		}
	}
}
