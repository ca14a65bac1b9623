package leaks

import (
	"errors"
	"fmt"
	"strings"
)

// readRule reads [[rules]] table number n (from 1) of a config as gitleaks'
// Translate does, but for its patterns, compiled by Check, and the checks
// that need the whole config. origin names the config for a rule without
// an ID ("" for the top-level one).
func readRule(t map[string]any, n int, origin string) (*Rule, error) {
	r := &Rule{at: place{"[[rules]]", n, origin}}
	t, err := folded(t)
	if err == nil {
		f := fields{t: t}
		r.ID = f.str("id")
		err = r.read(&f)
	}
	if err != nil {
		local := *r
		local.at.origin = "" // an error of an extended config names it
		return nil, fmt.Errorf("%s: %w", local.name(), err)
	}
	return r, nil
}

// read reads the rule's keys but its ID.
func (r *Rule) read(f *fields) error {
	r.Description = f.str("description")
	r.Regex = f.str("regex")
	r.Path = f.str("path")
	r.SecretGroup = f.int("secretgroup")
	r.Entropy = f.float("entropy")
	r.Keywords = f.strs("keywords")
	r.Tags = f.strs("tags")
	r.SkipReport = f.bool("skipreport")
	old, hasOld := f.table("allowlist")
	lists := f.tables("allowlists")
	required := f.tables("required")
	if f.err != nil {
		return f.err
	}
	for i, k := range r.Keywords {
		if k == "" {
			return fmt.Errorf("keyword %d is empty%w", i+1, errBeyond)
		}
		r.Keywords[i] = strings.ToLower(k)
	}
	if hasOld {
		if len(lists) > 0 {
			return errors.New("[rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlists]]")
		}
		lists = append(lists, old)
	}
	for i, t := range lists {
		a, _, err := allowlist(t, false)
		if err != nil {
			return fmt.Errorf("[[rules.allowlists]] #%d: %w", i+1, err)
		}
		r.Allowlists = append(r.Allowlists, a)
	}
	for i, t := range required {
		q, err := readRequired(t)
		if err != nil {
			return fmt.Errorf("[[rules.required]] #%d: %w", i+1, err)
		}
		r.Required = append(r.Required, q)
	}
	return nil
}

// readRequired reads a [[rules.required]] table.
func readRequired(t map[string]any) (Required, error) {
	t, err := folded(t)
	if err != nil {
		return Required{}, err
	}
	f := fields{t: t}
	q := Required{RuleID: f.str("id"), WithinLines: f.intPtr("withinlines"), WithinColumns: f.intPtr("withincolumns")}
	if f.err != nil {
		return Required{}, f.err
	}
	if q.RuleID == "" {
		return Required{}, errors.New("rule ID is empty")
	}
	return q, nil
}

// name names the rule in an error: by its ID, or by where it was defined.
func (r *Rule) name() string {
	if strings.TrimSpace(r.ID) == "" {
		return r.at.String()
	}
	return fmt.Sprintf("rule %q", r.ID)
}

// validate makes the checks of gitleaks' Rule.Validate that need no
// compiled pattern: an ID, and a regex or a path.
func (r *Rule) validate() error {
	if strings.TrimSpace(r.ID) == "" {
		return fmt.Errorf("%s: id is missing or empty", r.name())
	}
	if r.Regex == "" && r.Path == "" {
		return fmt.Errorf("%s: both regex and path are empty, this rule would have no effect", r.name())
	}
	for i, a := range r.Allowlists {
		if err := a.validate(); err != nil {
			return fmt.Errorf("%s: allowlist %d: %w", r.name(), i+1, err)
		}
	}
	return nil
}
