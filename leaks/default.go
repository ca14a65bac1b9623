package leaks

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
)

// defaultLevel is gitleaks' default config, read once, as a config
// extends it ([extend] useDefault). It extends nothing, so it reads the
// same at every depth.
var defaultLevel func() (*level, error)

// init sets defaultLevel, which reads a config, which may read it.
func init() {
	defaultLevel = sync.OnceValues(func() (*level, error) {
		p := &parser{chain: []string{config.DefaultConfig}}
		return p.translate(config.DefaultConfig, " of the default config", 1)
	})
}

// defaultConfig is gitleaks' default config, read once, as the
// top-level config: defaultLevel, finished.
var defaultConfig = sync.OnceValues(func() (*Config, error) {
	d, err := defaultLevel()
	if err == nil {
		d = d.clone()
		err = d.finish()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the default config: %w", ErrConfig, err)
	}
	return d.config(), nil
})

// Default is gitleaks' default rule set (config.DefaultConfig of
// gitleaks' config package), parsed once; each call returns a copy of
// its own.
func Default() (*Config, error) {
	c, err := defaultConfig()
	if err != nil {
		return nil, err
	}
	return c.clone(), nil
}

// clone is a copy of c sharing nothing with it.
func (c *Config) clone() *Config {
	cl := newCloner()
	return &Config{Rules: cl.rules(c.Rules), Allowlists: cl.allowlists(c.Allowlists), unkept: cl.unkept(c.unkept)}
}

// clone is a copy of lv sharing nothing with it.
func (lv *level) clone() *level {
	cl := newCloner()
	out := &level{
		rules:      cl.rules(lv.rules),
		byID:       maps.Clone(lv.byID),
		allowlists: cl.allowlists(lv.allowlists),
		unkept:     cl.unkept(lv.unkept),
		ext:        lv.ext,
	}
	for _, t := range lv.targeted {
		out.targeted = append(out.targeted, targeted{t.n, slices.Clone(t.rules), cl.allowlist(t.allowlist)})
	}
	return out
}

// cloner copies rules and allowlists, an allowlist shared by two rules
// copied once.
type cloner struct {
	done map[*Allowlist]*Allowlist
}

// newCloner returns a cloner that has copied nothing yet.
func newCloner() *cloner { return &cloner{done: map[*Allowlist]*Allowlist{}} }

// rules copies rules.
func (cl *cloner) rules(rules []*Rule) []*Rule {
	out := make([]*Rule, len(rules))
	for i, r := range rules {
		out[i] = cl.rule(r)
	}
	return out
}

// rule copies r.
func (cl *cloner) rule(r *Rule) *Rule {
	c := *r
	c.Keywords = slices.Clone(r.Keywords)
	c.Tags = slices.Clone(r.Tags)
	c.Required = slices.Clone(r.Required)
	for i, q := range c.Required {
		c.Required[i].WithinLines = clonePtr(q.WithinLines)
		c.Required[i].WithinColumns = clonePtr(q.WithinColumns)
	}
	c.Allowlists = cl.allowlists(r.Allowlists)
	return &c
}

// allowlists copies allowlists.
func (cl *cloner) allowlists(as []*Allowlist) []*Allowlist {
	if as == nil {
		return nil
	}
	out := make([]*Allowlist, len(as))
	for i, a := range as {
		out[i] = cl.allowlist(a)
	}
	return out
}

// allowlist copies a.
func (cl *cloner) allowlist(a *Allowlist) *Allowlist {
	if c, ok := cl.done[a]; ok {
		return c
	}
	c := *a
	c.Commits = slices.Clone(a.Commits)
	c.Paths = slices.Clone(a.Paths)
	c.Regexes = slices.Clone(a.Regexes)
	c.StopWords = slices.Clone(a.StopWords)
	cl.done[a] = &c
	return &c
}

// unkept copies us.
func (cl *cloner) unkept(us []unkept) []unkept {
	out := slices.Clone(us)
	for i, u := range out {
		out[i].rule = cl.rule(u.rule)
	}
	return out
}

// clonePtr copies *p; nil for nil.
func clonePtr(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
