package leaks

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sync"
)

// rule is a Rule as the detector runs it, its expressions compiled the
// first time it runs.
type rule struct {
	*Rule
	allows []*allow
	words  []int32 // indices of its keywords in the detector's keywords

	once  sync.Once
	err   error
	path  *regexp.Regexp
	match *matcher
}

// compile compiles the rule's expressions, once; an error names the rule.
func (r *rule) compile(nwords int) error {
	r.once.Do(func() {
		var err error
		if r.Path != "" {
			if r.path, err = regexp.Compile(r.Path); err != nil {
				r.err = fmt.Errorf("%w: rule %s: path: %w", ErrConfig, r.ID, err)
				return
			}
		}
		if r.Regex != "" {
			if r.match, err = newMatcher(r.Regex, r.Keywords, r.words, nwords); err != nil {
				r.err = fmt.Errorf("%w: rule %s: regex: %w", ErrConfig, r.ID, err)
				return
			}
		}
		for _, a := range r.allows {
			if err := a.compile(); err != nil {
				r.err = fmt.Errorf("%w: rule %s: allowlist: %w", ErrConfig, r.ID, err)
				return
			}
		}
	})
	return r.err
}

// newMatcher compiles a rule's expression with what it needs to run on
// windows around its keywords' hits.
func newMatcher(pattern string, words []string, mine []int32, nwords int) (*matcher, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	m := &matcher{re: re, shape: shapeOf(pattern, words), mine: make([]bool, nwords)}
	if m.shape.windowed {
		tried := pattern
		if m.shape.run != nil {
			tried = m.shape.rest
		}
		m.starts = startsOf(tried)
		m.at, err = regexp.Compile(`^(?:` + tried + `)`)
		if err == nil {
			m.after, err = regexp.Compile(`^(?s:.)(?:` + tried + `)`)
		}
		if err != nil {
			m.shape = shape{}
		}
	}
	for _, w := range mine {
		m.mine[w] = true
	}
	return m, nil
}

// startsOf lists lowered texts one of which every match of pattern starts
// with; nil if it cannot tell.
func startsOf(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	set, ok := prefixes(re)
	if !ok || !usable(set) {
		return nil
	}
	return set
}
