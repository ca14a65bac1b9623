package leaks

import (
	"fmt"
	"regexp"
)

// Check compiles, with Go's regexp, every regular expression of c: each
// rule's regex and path, each allowlist's paths and regexes one by one and
// joined as gitleaks joins them, and those gitleaks compiles while reading
// a config and then drops (see unkept). It makes the checks gitleaks'
// Rule.Validate makes on the extended config: an ID, a regex or a path, a
// secretGroup no larger than the regex's number of groups, no allowlist
// without a check. Its error names the rule.
func (c *Config) Check() error {
	if err := c.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// check is Check without ErrConfig.
func (c *Config) check() error {
	for _, r := range c.Rules {
		if err := r.validate(); err != nil {
			return err
		}
		if err := r.compile(true); err != nil {
			return fmt.Errorf("%s: %w", r.name(), err)
		}
	}
	for i, a := range c.Allowlists {
		if err := a.validate(); err != nil {
			return fmt.Errorf("global allowlist %d: %w", i+1, err)
		}
		if err := a.compile(); err != nil {
			return fmt.Errorf("global allowlist %d: %w", i+1, err)
		}
	}
	for _, u := range c.unkept {
		if err := u.rule.compile(false); err != nil {
			return fmt.Errorf("%s: %w", u.what, err)
		}
	}
	return nil
}

// compile compiles r's patterns, and, if group, checks its secretGroup.
func (r *Rule) compile(group bool) error {
	if r.Regex != "" {
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return fmt.Errorf("regex: %w", err)
		}
		if n := re.NumSubexp(); group && r.SecretGroup > n {
			return fmt.Errorf("invalid regex secret group %d, max regex secret group %d", r.SecretGroup, n)
		}
	}
	if r.Path != "" {
		if _, err := regexp.Compile(r.Path); err != nil {
			return fmt.Errorf("path: %w", err)
		}
	}
	for i, a := range r.Allowlists {
		if err := a.compile(); err != nil {
			return fmt.Errorf("allowlist %d: %w", i+1, err)
		}
	}
	return nil
}

// compile compiles a's patterns, one by one and joined.
func (a *Allowlist) compile() error {
	for _, list := range []struct {
		key      string
		patterns []string
	}{{"paths", a.Paths}, {"regexes", a.Regexes}} {
		for i, p := range list.patterns {
			if _, err := regexp.Compile(p); err != nil {
				return fmt.Errorf("%s item %d: %w", list.key, i+1, err)
			}
		}
		if j := joinPatterns(list.patterns); j != "" {
			if _, err := regexp.Compile(j); err != nil {
				return fmt.Errorf("%s joined: %w", list.key, err)
			}
		}
	}
	return nil
}
