package output

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"github.com/forkscan/forkscan/record"
)

// secretsScanner is the name the secrets scanner registers (package
// worker/scan/secrets, which output does not import): its rules are
// gitleaks' rules, and its findings are secrets, with a remediation of
// their own.
const secretsScanner = "secrets"

// rules is a run's reporting descriptors, one per rule id: the first
// finding of a rule describes it. A rule id two scanners share is one
// rule, so no two descriptors carry the same id (GitHub refuses a log
// that has two; gitleaks' #890).
type rules struct {
	list  []sarifRule
	index map[string]int
}

// of returns the index of f's rule, adding its descriptor on first sight.
func (r *rules) of(scanner string, f record.Finding) int {
	if i, ok := r.index[f.Rule]; ok {
		return i
	}
	if r.index == nil {
		r.index = map[string]int{}
	}
	r.index[f.Rule] = len(r.list)
	r.list = append(r.list, describe(scanner, f))
	return len(r.list) - 1
}

// describe makes a rule's descriptor from one of its findings: what the
// scanner says of it (a gitleaks rule's description, a tool's message),
// and for a secret, what to do about it.
func describe(scanner string, f record.Finding) sarifRule {
	about := strings.TrimSpace(f.Message)
	if about == "" {
		about = "Rule " + f.Rule + " of " + scanner + "."
	}
	short := firstSentence(about)
	rule := sarifRule{
		ID:                   f.Rule,
		Name:                 name(scanner, f.Rule),
		ShortDescription:     sarifText{short},
		FullDescription:      sarifText{sentence(about)},
		DefaultConfiguration: sarifConfiguration{level(f.Severity)},
		Properties:           map[string]any{},
	}
	if scanner == secretsScanner {
		rule.Help = secretHelp(f.Rule, about)
		rule.Properties["tags"] = []string{"security", "secret", "external/cwe/cwe-798"}
		rule.Properties["precision"] = "high"
		if s := securitySeverity(f.Severity); s != "" {
			rule.Properties["security-severity"] = s
		}
	} else {
		rule.Help = toolHelp(scanner, f.Rule, about)
		rule.Properties["tags"] = []string{scanner}
	}
	return rule
}

// secretHelp is a gitleaks rule's help: its description, then what to do
// with a secret found in code.
func secretHelp(id, about string) sarifMultiformat {
	steps := []string{
		"Revoke or rotate the secret at its issuer now: once committed or shared, treat it as leaked.",
		"Take it out of the code: read it from the environment or a secret store instead.",
		"Remove it from the repository's history (git filter-repo, or BFG) and force-push; clones made before keep it, which is why revoking comes first.",
		"If it is not a secret (a test value, an example), add the finding's fingerprint to .gitleaksignore, or allow it in the gitleaks config.",
	}
	var text, md strings.Builder
	text.WriteString(sentence(about) + "\n\nforkscan's secrets scanner found it with gitleaks' rule " + id + ". To fix:\n")
	md.WriteString(sentence(about) + "\n\nforkscan's secrets scanner found it with gitleaks' rule `" + id + "`.\n\n**To fix:**\n\n")
	for i, s := range steps {
		n := strconv.Itoa(i+1) + ". "
		text.WriteString(n + s + "\n")
		md.WriteString(n + strings.NewReplacer("git filter-repo", "`git filter-repo`", ".gitleaksignore", "`.gitleaksignore`").Replace(s) + "\n")
	}
	return sarifMultiformat{Text: strings.TrimSpace(text.String()), Markdown: strings.TrimSpace(md.String())}
}

// toolHelp is a tool's rule's help: what the tool says of it, and where
// to read more.
func toolHelp(scanner, id, about string) sarifMultiformat {
	tail := "Reported by " + scanner + " as rule " + id + "; its documentation of the rule says how to fix it."
	return sarifMultiformat{
		Text:     sentence(about) + "\n\n" + tail,
		Markdown: sentence(about) + "\n\nReported by " + scanner + " as rule `" + id + "`; its documentation of the rule says how to fix it.",
	}
}

// securitySeverity is a severity as GitHub's security-severity scores
// it (critical is 9.0 and above, high 7.0–8.9, medium 4.0–6.9, low
// 0.1–3.9); "" for one it has no score for.
func securitySeverity(s record.Severity) string {
	switch s {
	case record.SeverityCritical:
		return "9.5"
	case record.SeverityHigh, "error":
		return "8.0"
	case record.SeverityMedium, "warning":
		return "5.5"
	case record.SeverityLow:
		return "2.0"
	}
	return ""
}

// fingerprints is a result's partialFingerprints: forkscan/v1 is a hash
// of what the finding is, not where: the rule, the file (and archive
// member), the commit for a history's finding, and the matched text (the
// message when there is none), with the count of the same before it in
// the run; a finding that moves to another line keeps it.
type fingerprints map[string]int

func (fp fingerprints) of(rule, where, commit string, f record.Finding) map[string]string {
	what := f.Match
	if what == "" {
		what = f.Message
	}
	h := sha256.New()
	for _, part := range []string{rule, where, commit, what} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil)[:16])
	n := fp[sum]
	fp[sum] = n + 1
	out := map[string]string{"forkscan/v1": sum + ":" + strconv.Itoa(n+1)}
	if commit != "" {
		out["commitSha"] = commit
	}
	return out
}

// name is a rule's friendly name: its id in Pascal case ("github-pat" is
// "GithubPat"), after the scanner's name where that alone would read as
// the id ("jwt" is "SecretsJwt", bandit's "B105" "BanditB105"): SARIF
// wants a name that is not the id (SARIF1001).
func name(scanner, id string) string {
	n := pascal(id)
	if strings.EqualFold(n, id) {
		n = pascal(scanner) + n
	}
	return n
}

// pascal is a rule id as a friendly name: "github-pat" is "GithubPat".
func pascal(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
		up = false
	}
	if b.Len() == 0 {
		return "Rule"
	}
	return b.String()
}

// firstSentence is s up to the end of its first sentence, ending with a
// period.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return sentence(s)
}

// sentence is s trimmed and ending with a full stop, as SARIF's
// messages should (SARIF2001).
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
