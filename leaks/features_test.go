package leaks_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/forkscan/forkscan/leaks"
)

// TestFeaturesAsGitleaks runs each feature of gitleaks' configuration
// format through our detector and gitleaks' (the oracle), on texts where
// the feature decides, and wants the same findings: file, lines, columns,
// rule, match and secret. Each case has findings in at least one of its
// texts and none in another, so a feature that did nothing would fail.
func TestFeaturesAsGitleaks(t *testing.T) {
	const tok = "Zx8Kq2Lm9Pw4Rt7Vb3Nc"                             // a made-up token
	b64 := base64.StdEncoding.EncodeToString([]byte("tok=" + tok)) // decodes to a match
	rule := func(extra string) string {
		return "[[rules]]\nid = \"tok\"\nregex = '''tok=([A-Za-z0-9]{20})'''\nkeywords = [\"tok=\"]\n" + extra
	}
	cases := []struct {
		name, config, path string
		texts              []string
	}{
		{"match", rule(""), "a.txt", []string{"tok=" + tok, "nothing here", "x\ny tok=" + tok + "\n"}},
		{"keyword gates the rule", "[[rules]]\nid = \"tok\"\nregex = '''[A-Za-z0-9]{20}'''\nkeywords = [\"secret\"]\n",
			"a.txt", []string{"secret " + tok, tok}},
		{"no keywords: always", "[[rules]]\nid = \"tok\"\nregex = '''Zx8[A-Za-z0-9]{17}'''\n", "a.txt", []string{tok, "zz"}},
		{"secret group", "[[rules]]\nid = \"tok\"\nregex = '''(tok)=([A-Za-z0-9]{20})'''\nsecretGroup = 2\nkeywords = [\"tok\"]\n",
			"a.txt", []string{"tok=" + tok, "tok=short"}},
		{"entropy", rule("entropy = 3.5\n"), "a.txt", []string{"tok=" + tok, "tok=aaaaaaaaaaaaaaaaaaaa"}},
		{"path only", "[[rules]]\nid = \"p12\"\npath = '''\\.p12$'''\n", "cert.p12", []string{"anything", ""}},
		{"path and regex", rule("path = '''\\.env$'''\n"), "x.env", []string{"tok=" + tok, "nope"}},
		{"path and regex, other path", rule("path = '''\\.env$'''\n"), "x.txt", []string{"tok=" + tok}},
		{"allowlist regex on secret", rule("[[rules.allowlists]]\nregexes = ['''^Zx8''']\n"), "a.txt",
			[]string{"tok=" + tok, "tok=Ab8Kq2Lm9Pw4Rt7Vb3Nc"}},
		{"allowlist regex on match", rule("[[rules.allowlists]]\nregexTarget = \"match\"\nregexes = ['''^tok=Zx''']\n"),
			"a.txt", []string{"tok=" + tok, "tok=Ab8Kq2Lm9Pw4Rt7Vb3Nc"}},
		{"allowlist regex on line", rule("[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''example''']\n"),
			"a.txt", []string{"example tok=" + tok, "tok=" + tok}},
		{"allowlist stopwords", rule("[[rules.allowlists]]\nstopwords = [\"pw4r\"]\n"), "a.txt",
			[]string{"tok=" + tok, "tok=Ab8Kq2Lm9Qw4Rt7Vb3Nc"}},
		{"allowlist paths", rule("[[rules.allowlists]]\npaths = ['''^a\\.txt$''']\n"), "a.txt", []string{"tok=" + tok}},
		{"allowlist paths, other file", rule("[[rules.allowlists]]\npaths = ['''^a\\.txt$''']\n"), "b.txt", []string{"tok=" + tok}},
		{"allowlist AND", rule("[[rules.allowlists]]\ncondition = \"AND\"\npaths = ['''^a\\.txt$''']\nregexes = ['''^Zx''']\n"),
			"a.txt", []string{"tok=" + tok, "tok=Ab8Kq2Lm9Pw4Rt7Vb3Nc"}},
		{"allowlist AND, other file", rule("[[rules.allowlists]]\ncondition = \"AND\"\npaths = ['''^a\\.txt$''']\nregexes = ['''^Zx''']\n"),
			"b.txt", []string{"tok=" + tok}},
		{"allowlist flags reach the patterns after", rule("[[rules.allowlists]]\nregexes = ['''(?i)^nomatch''', '''^zx8''']\n"),
			"a.txt", []string{"tok=" + tok}},
		{"global allowlist", rule("[[allowlists]]\nregexes = ['''^Zx8''']\n"), "a.txt",
			[]string{"tok=" + tok, "tok=Ab8Kq2Lm9Pw4Rt7Vb3Nc"}},
		{"global allowlist on a target rule", rule("[[rules]]\nid = \"other\"\nregex = '''oth=([A-Za-z0-9]{20})'''\n" +
			"[[allowlists]]\ntargetRules = [\"tok\"]\nregexes = ['''^Zx8''']\n"), "a.txt", []string{"tok=" + tok + " oth=" + tok}},
		{"required within lines", rule("[[rules.required]]\nid = \"user\"\nwithinLines = 1\n") +
			"[[rules]]\nid = \"user\"\nregex = '''user=(\\w+)'''\nskipReport = true\n", "a.txt",
			[]string{"user=bob\ntok=" + tok, "user=bob\n\n\ntok=" + tok, "tok=" + tok}},
		{"required within columns", rule("[[rules.required]]\nid = \"user\"\nwithinColumns = 5\n") +
			"[[rules]]\nid = \"user\"\nregex = '''user=(\\w+)'''\n", "a.txt",
			[]string{"user=bob\ntok=" + tok, "user=bob tok=" + tok}},
		{"gitleaks:allow", rule(""), "a.txt", []string{"tok=" + tok + " # gitleaks:allow", "tok=" + tok}},
		{"decoded", rule(""), "a.txt", []string{"v: " + b64, "v: " + base64.StdEncoding.EncodeToString([]byte(b64))}},
		{"extend the default, one rule off", "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\"]\n" + rule(""),
			"a.txt", []string{"tok=" + tok + " ghp_" + strings.Repeat("aB3dE5fG7h", 3) + "I9jK1l"}},
		{"generic rule yields to a specific one", "[extend]\nuseDefault = true\n", "a.txt",
			[]string{"token = \"ghp_" + strings.Repeat("aB3dE5fG7h", 3) + "I9jK1l\""}},
	}
	total := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := leaks.Parse(c.config, nil)
			if err != nil {
				t.Fatal(err)
			}
			theirCfg, err := gitleaks(c.config, nil)
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := leaks.New(cfg), detect.NewDetector(theirCfg)
			for _, depth := range []int{0, 1, 5} {
				ours.MaxDecodeDepth, theirs.MaxDecodeDepth = depth, depth
				for _, text := range c.texts {
					want := theirFindings(theirs, c.path, text)
					got := ourFindings(t, ours, c.path, text)
					if !slices.Equal(want, got) {
						t.Errorf("depth %d, %q:\n gitleaks %q\n ours     %q", depth, text, want, got)
					}
					total += len(got)
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no case found anything")
	}
}

func theirFindings(d *detect.Detector, path, text string) []string {
	var out []string
	for _, f := range d.DetectContext(context.Background(), detect.Fragment{Raw: text, FilePath: path, StartLine: 1}) {
		out = append(out, fmt.Sprintf("%s %d:%d-%d:%d %s %q %q", f.File, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.RuleID, f.Match, f.Secret))
	}
	sort.Strings(out)
	return out
}

func ourFindings(t *testing.T, d *leaks.Detector, path, text string) []string {
	found, err := d.Detect(context.Background(), leaks.Fragment{Raw: text, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range found {
		out = append(out, fmt.Sprintf("%s %d:%d-%d:%d %s %q %q", f.File, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.RuleID, f.Match, f.Secret))
	}
	sort.Strings(out)
	return out
}
