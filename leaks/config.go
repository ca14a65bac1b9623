package leaks

// Config is a rule set in gitleaks' configuration format, parsed but not
// compiled: its regular expressions are pattern strings, compiled by the
// Detector the first time a rule is needed (Check compiles them all).
type Config struct {
	// Rules in gitleaks' order: the file's order, or, once a config
	// extends another, sorted by ID.
	Rules []*Rule
	// Allowlists are the global allowlists (those without targetRules).
	Allowlists []*Allowlist
}

// Rule is one [[rules]] table.
type Rule struct {
	ID          string
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
	Tags     []string
	// Allowlists are the rule's own, then the global ones that target it.
	Allowlists []*Allowlist
	// Required are the rules whose findings must lie near this rule's for
	// it to report one ([[rules.required]]).
	Required []Required
	// SkipReport: the rule's findings serve only as required findings of
	// another rule.
	SkipReport bool
}

// Required is one [[rules.required]] entry.
type Required struct {
	RuleID string
	// WithinLines and WithinColumns bound the distance between the two
	// findings' starts; nil for no bound.
	WithinLines   *int
	WithinColumns *int
}

// Allowlist is one [[allowlists]] or [[rules.allowlists]] table.
type Allowlist struct {
	Description string
	// And: every check the allowlist has must hold ("AND"); otherwise
	// any one of them ("OR", the default).
	And bool
	// Commits, lowercased and trimmed.
	Commits []string
	// Paths are patterns a file's path may match.
	Paths []string
	// RegexTarget is what Regexes are matched against: "" for the
	// secret, "match" or "line".
	RegexTarget string
	Regexes     []string
	// StopWords, lowercased: a secret holding one is allowed.
	StopWords []string
}
