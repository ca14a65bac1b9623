package leaks

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Finding is one secret found, as gitleaks reports it.
type Finding struct {
	RuleID      string
	Description string
	// StartLine and EndLine count from 1 in the file; the columns are
	// gitleaks' (see place).
	StartLine, EndLine     int
	StartColumn, EndColumn int
	// Line is the text of the line(s) the match is on.
	Line string
	// Match is what the rule's expression matched (or "file detected:
	// PATH" for a rule on paths alone); Secret the part of it that is the
	// secret.
	Match  string
	Secret string
	File   string
	// Entropy is the secret's Shannon entropy in bits per byte.
	Entropy float32
	Tags    []string
	// Required are the findings of the rules this one's rule requires.
	Required []Finding
}

// Fingerprint is how a .gitleaksignore file names the finding:
// "file:rule:line", the commit first for one found in a commit.
func (f *Finding) Fingerprint(commit string) string {
	fp := f.File + ":" + f.RuleID + ":" + strconv.Itoa(f.StartLine)
	if commit != "" {
		return commit + ":" + fp
	}
	return fp
}

// Redact replaces the secret by "REDACTED" in the finding's secret, match
// and line (as gitleaks' redaction at 100%, which replaces every
// occurrence).
func (f *Finding) Redact() {
	const redacted = "REDACTED"
	f.Line = strings.ReplaceAll(f.Line, f.Secret, redacted)
	f.Match = strings.ReplaceAll(f.Match, f.Secret, redacted)
	f.Secret = redacted
}

// entropy is the Shannon entropy of s over its runes, divided by its
// length in bytes, as gitleaks computes it.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	var order []rune
	for _, r := range s {
		if counts[r] == 0 {
			order = append(order, r)
		}
		counts[r]++
	}
	inv := 1.0 / float64(len(s))
	e := 0.0
	for _, r := range order {
		freq := float64(counts[r]) * inv
		e -= freq * math.Log2(freq)
	}
	return e
}

// dropGeneric drops a finding of a generic rule (one whose ID says
// "generic") when a finding of another, non-generic rule on the same line
// has a secret holding its secret, as gitleaks does.
func dropGeneric(findings []Finding) []Finding {
	var out []Finding
	for _, f := range findings {
		if !isGeneric(f.RuleID) || !slices.ContainsFunc(findings, func(o Finding) bool {
			return f.StartLine == o.StartLine && f.RuleID != o.RuleID &&
				strings.Contains(o.Secret, f.Secret) && !isGeneric(o.RuleID)
		}) {
			out = append(out, f)
		}
	}
	return out
}

func isGeneric(id string) bool { return strings.Contains(strings.ToLower(id), "generic") }
