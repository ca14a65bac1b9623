package leaks

import (
	"context"
	"strings"
)

// allowComment on a finding's line drops the finding.
const allowComment = "gitleaks:allow"

// Detector finds secrets in fragments of text with a rule set. It is
// safe for concurrent use; it compiles each rule's expressions the first
// time the rule runs, so a detector is ready at once and a rule that never
// runs costs nothing.
type Detector struct {
	// MaxDecodeDepth is how many decoding passes follow the first; 0:
	// none.
	MaxDecodeDepth int
	// IgnoreAllowComments keeps findings on lines that say
	// "gitleaks:allow".
	IgnoreAllowComments bool

	rules  []*rule
	byID   map[string]*rule
	global []*allow
	words  *keywords
	// foldUnsafe: some keyword is not ASCII, so keyword hits are found in
	// a lowered copy of the text and windows are off.
	foldUnsafe bool
}

// New makes a detector for the rule set c.
func New(c *Config) *Detector {
	d := &Detector{byID: map[string]*rule{}}
	index := map[string]int32{}
	var words []string
	for _, r := range c.Rules {
		cr := &rule{Rule: r}
		for _, k := range r.Keywords {
			i, ok := index[k]
			if !ok {
				i = int32(len(words))
				index[k] = i
				words = append(words, k)
				d.foldUnsafe = d.foldUnsafe || !isASCII(k)
			}
			cr.words = append(cr.words, i)
		}
		for _, a := range r.Allowlists {
			cr.allows = append(cr.allows, newAllow(a))
		}
		d.rules = append(d.rules, cr)
		d.byID[r.ID] = cr
	}
	for _, a := range c.Allowlists {
		d.global = append(d.global, newAllow(a))
	}
	d.words = newKeywords(words)
	return d
}

// PathAllowed reports whether a global allowlist's paths match path, as
// gitleaks tests a path its walk comes to (whatever the allowlist's
// condition): gitleaks does not read a file or enter a directory so
// allowed.
func (d *Detector) PathAllowed(path string) bool {
	for _, a := range d.global {
		if a.compile() == nil && a.pathAllowed(path) {
			return true
		}
	}
	return false
}

// Detect returns the findings in frag, as gitleaks' detector finds them:
// each rule whose keywords the text holds runs over it, then over the
// text with its encoded runs decoded, pass after pass. An error is a rule
// or an allowlist whose expression does not compile. A cancelled ctx
// stops the search; the findings so far are returned.
func (d *Detector) Detect(ctx context.Context, frag Fragment) ([]Finding, error) {
	if frag.StartLine == 0 {
		frag.StartLine = 1
	}
	for _, a := range d.global {
		if err := a.compile(); err != nil {
			return nil, err
		}
		if a.skipsFile(&frag) {
			return nil, nil
		}
	}
	s := &scan{d: d, frag: &frag, raw: &text{s: frag.Raw}}
	if err := s.passes(ctx); err != nil {
		return nil, err
	}
	return dropGeneric(s.found), nil
}

// scan is one fragment being scanned.
type scan struct {
	d     *Detector
	frag  *Fragment
	raw   *text // the fragment's own text, for lines and columns
	cur   *text // this pass's text
	segs  []*segment
	found []Finding
}

// passes runs the rules over the text, then over it decoded, up to the
// detector's depth or until nothing more decodes.
func (s *scan) passes(ctx context.Context) error {
	s.cur = s.raw
	dec := newDecoder()
	for depth := 0; ; depth++ {
		present := s.d.prepare(s.cur)
		for _, r := range s.d.rules {
			if ctx.Err() != nil {
				return nil
			}
			if !gated(r, present) {
				continue
			}
			found, err := s.rule(r, false)
			if err != nil {
				return err
			}
			s.found = append(s.found, found...)
		}
		if depth+1 > s.d.MaxDecodeDepth {
			return nil
		}
		decoded, segs := dec.decode(s.cur.s, s.segs)
		if len(segs) == 0 {
			return nil
		}
		s.cur, s.segs = &text{s: decoded}, segs
	}
}

// gated reports whether r runs on a text holding the keywords present.
func gated(r *rule, present []bool) bool {
	if len(r.words) == 0 {
		return true
	}
	for _, w := range r.words {
		if present[w] {
			return true
		}
	}
	return false
}

// prepare finds the keywords' hits in t and says which keywords it holds.
// A text holding a character whose case folds onto an ASCII letter from
// outside ASCII (the Kelvin sign, the long s, the dotted capital I) is
// searched in a lowered copy too, as gitleaks does, and marked whole: a
// rule whose expression can match one of those characters may match
// where no keyword hit is, so it runs over the whole text.
func (d *Detector) prepare(t *text) []bool {
	present := make([]bool, len(d.words.words))
	if d.foldUnsafe {
		t.whole = true
		for _, h := range d.words.find(strings.ToLower(t.s), nil) {
			present[h.word] = true
		}
		return present
	}
	t.hits = d.words.find(t.s, t.hits[:0])
	sortHits(t.hits)
	if unsafeFold(t.s) {
		// Which rules run is decided on the lowered copy; the hits, on
		// the text itself, serve the rules that cannot match the
		// characters that fold (see matcher.findAll).
		t.whole = true
		for _, h := range d.words.find(strings.ToLower(t.s), nil) {
			present[h.word] = true
		}
		return present
	}
	for _, h := range t.hits {
		present[h.word] = true
	}
	return present
}

// unsafeFold reports whether s holds U+212A, U+017F or U+0130.
func unsafeFold(s string) bool {
	return strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f") || strings.Contains(s, "\u0130")
}

// sortHits orders hits by start; find returns them by end, nearly sorted.
func sortHits(h []hit) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].pos < h[j-1].pos; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}
