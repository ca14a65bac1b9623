package leaks

import "strconv"

// Config is a rule set in gitleaks' configuration format, parsed but not
// compiled: its regular expressions are pattern strings, compiled by the
// Detector the first time a rule is needed (Check compiles them all).
// A Config that Parse or Default returns is the caller's own.
type Config struct {
	// Rules in gitleaks' order: the file's order, or, once a config
	// extends another, sorted by ID. Each ID appears once (see Parse).
	Rules []*Rule
	// Allowlists are the global allowlists (those without targetRules):
	// the config's own, then those of the config it extends.
	Allowlists []*Allowlist

	// unkept are patterns gitleaks compiles (and so refuses when they do
	// not compile) but does not keep: Check compiles them too.
	unkept []unkept
}

// Rule is one [[rules]] table.
type Rule struct {
	// ID names the rule; unique within a Config.
	ID string
	// Description says what the rule finds.
	Description string
	// Regex is the pattern a secret matches; "" for a path-only rule.
	Regex string
	// Path is the pattern a file's path must match; "" for none.
	Path string
	// SecretGroup is the capture group holding the secret; 0 for the
	// first non-empty group.
	SecretGroup int
	// Entropy is the Shannon entropy the secret must exceed; 0 for none.
	Entropy float64
	// Keywords, lowercased: the rule runs on text holding one of them; on
	// all text if there are none.
	Keywords []string
	// Tags are labels reported with the rule's findings.
	Tags []string
	// Allowlists are the rule's own, then the global ones that target it.
	Allowlists []*Allowlist
	// Required are the rules whose findings must lie near this rule's for
	// it to report one ([[rules.required]]).
	Required []Required
	// SkipReport: the rule's findings serve only as required findings of
	// another rule.
	SkipReport bool

	// at says where the rule was defined, to name a rule without an ID.
	at place
}

// place is where a table was defined: its number among the tables of its
// kind, in a config.
type place struct {
	// kind is "[[rules]]" or "[[allowlists]]"; "" for none known.
	kind string
	// n counts from 1.
	n int
	// origin names the config: "" for the top-level one, else as
	// " of extended config \"x\"".
	origin string
}

// String says where.
func (p place) String() string {
	if p.kind == "" {
		return "a rule without an ID"
	}
	return p.kind + " #" + strconv.Itoa(p.n) + p.origin
}

// Required is one [[rules.required]] entry.
type Required struct {
	// RuleID is the ID of the required rule.
	RuleID string
	// WithinLines and WithinColumns bound the distance between the two
	// findings' starts; nil for no bound.
	WithinLines   *int
	WithinColumns *int
}

// Allowlist is one [[allowlists]] or [[rules.allowlists]] table.
type Allowlist struct {
	// Description says what the allowlist allows.
	Description string
	// And: every check the allowlist has must hold ("AND"); otherwise
	// any one of them ("OR", the default).
	And bool
	// Commits, lowercased and trimmed, each once.
	Commits []string
	// Paths are patterns a file's path may match.
	Paths []string
	// RegexTarget is what Regexes are matched against: "" for the
	// secret, "match" or "line".
	RegexTarget string
	// Regexes are patterns the RegexTarget may match.
	Regexes []string
	// StopWords, lowercased, each once: a secret holding one is allowed.
	StopWords []string
}

// unkept is a rule (or a part of one) that gitleaks compiles while
// reading a configuration and then drops: a rule disabled or replaced,
// a regex or path overridden, an extended config's targeted allowlist.
type unkept struct {
	// what says which, for Check's error.
	what string
	rule *Rule
}
