package leaks

import (
	"errors"
	"fmt"
	"strings"
)

// allowlist reads an allowlist table as gitleaks' parseAllowlist and
// Allowlist.Validate do, but for its patterns, compiled by Check. A
// global one's targetRules are returned apart.
func allowlist(t map[string]any, global bool) (*Allowlist, []string, error) {
	t, err := folded(t)
	if err != nil {
		return nil, nil, err
	}
	f := fields{t: t}
	a := &Allowlist{Description: f.str("description")}
	condition := f.str("condition")
	a.Commits = f.strs("commits")
	a.Paths = f.strs("paths")
	a.RegexTarget = f.str("regextarget")
	a.Regexes = f.strs("regexes")
	a.StopWords = f.strs("stopwords")
	var targets []string
	if global {
		targets = f.strs("targetrules")
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	switch strings.ToUpper(condition) {
	case "AND", "&&":
		a.And = true
	case "", "OR", "||":
	default:
		return nil, nil, fmt.Errorf("condition %q is none of AND, &&, OR, ||", condition)
	}
	switch a.RegexTarget {
	case "secret":
		a.RegexTarget = ""
	case "", "match", "line":
	default:
		return nil, nil, fmt.Errorf("regexTarget %q is none of secret, match, line", a.RegexTarget)
	}
	if err := a.validate(); err != nil {
		return nil, nil, err
	}
	a.Commits = unique(a.Commits, func(c string) string { return strings.TrimSpace(strings.ToLower(c)) })
	a.StopWords = unique(a.StopWords, strings.ToLower)
	return a, targets, nil
}

// errEmptyAllowlist is gitleaks' refusal of an allowlist without a check.
var errEmptyAllowlist = errors.New("must contain at least one check for: commits, paths, regexes, or stopwords")

// validate refuses an allowlist without a check, as gitleaks does.
func (a *Allowlist) validate() error {
	if len(a.Commits) == 0 && len(a.Paths) == 0 && len(a.Regexes) == 0 && len(a.StopWords) == 0 {
		return errEmptyAllowlist
	}
	return nil
}

// unique maps each of list through norm, keeping the first of each
// result, in order. (gitleaks keeps them in the random order of a Go
// map's keys.)
func unique(list []string, norm func(string) string) []string {
	if len(list) == 0 {
		return list
	}
	seen := make(map[string]struct{}, len(list))
	out := make([]string, 0, len(list))
	for _, s := range list {
		s = norm(s)
		if _, ok := seen[s]; !ok {
			seen[s] = struct{}{}
			out = append(out, s)
		}
	}
	return out
}

// PathsPattern is the pattern gitleaks matches paths with: the Paths
// joined into one alternation; "" for none.
func (a *Allowlist) PathsPattern() string { return joinPatterns(a.Paths) }

// RegexesPattern is the pattern gitleaks matches the RegexTarget with:
// the Regexes joined into one alternation; "" for none.
func (a *Allowlist) RegexesPattern() string { return joinPatterns(a.Regexes) }

// joinPatterns joins patterns as gitleaks' joinRegexOr does.
func joinPatterns(patterns []string) string {
	if len(patterns) == 0 {
		return ""
	}
	return "(?:" + strings.Join(patterns, "|") + ")"
}
