package secrets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pat is a GitHub token shape made at run time, so this file holds no
// secret for a scanner of this repository to flag.
var pat = "ghp_" + strings.Repeat("aB3dE5fG7h", 3) + "I9jK1l"

// buildDir is the default rules plus an allowlist of directories named
// build: gitleaks skips them with all they hold.
const buildDir = "[extend]\nuseDefault = true\n[[allowlists]]\npaths = ['''(^|/)build$''']\n"

func TestScan(t *testing.T) {
	cases := []struct {
		name   string
		opts   secrets.Options
		root   string
		path   string // relative to root
		data   string
		rules  []string // rule ids found; nil: none
		skip   string   // in the skip reason, when skipped
		hidden bool     // the match is redacted
	}{
		{"found and redacted", secrets.Options{}, "/r", "a.env", "token = \"" + pat + "\"\n", []string{"github-pat"}, "", true},
		{"shown", secrets.Options{NoRedact: true}, "/r", "a.env", "token = \"" + pat + "\"\n", []string{"github-pat"}, "", false},
		{"allowlisted path", secrets.Options{}, "/r", "logo.png", pat, nil, "allowlist", false},
		{"allowlisted directory above", secrets.Options{}, "/r", "node_modules/x/a.js", pat, nil, "allowlist", false},
		{"allowlisted directory", secrets.Options{Config: buildDir}, "/r", "build/a.env", "t = \"" + pat + "\"\n", nil, "allowlist", false},
		{"directory above the root", secrets.Options{Config: buildDir}, "/build/r", "a.env", "t = \"" + pat + "\"\n", []string{"github-pat"}, "", true},
		{"gitleaks:allow", secrets.Options{}, "/r", "a.env", "t = \"" + pat + "\" # gitleaks:allow\n", nil, "", false},
		{"ignored by fingerprint", secrets.Options{Ignore: []string{"a.env:github-pat:1"}}, "/r", "a.env", "t = \"" + pat + "\"\n", nil, "", false},
		{"binary", secrets.Options{}, "/r", "x", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00" + pat, nil, "binary", false},
		{"empty", secrets.Options{}, "/r", "e", "", nil, "", false},
		{"custom rule only", secrets.Options{Config: "[[rules]]\nid = \"magic\"\nregex = '''XYZZY'''\n"}, "/r", "m", "XYZZY " + pat, []string{"magic"}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := secrets.New(c.opts)
			require.NoError(t, err)
			rep, err := sc.Scan(context.Background(), &scan.File{Root: c.root, Path: c.path, Data: []byte(c.data)})
			if c.skip != "" {
				reason, ok := scan.IsSkip(err)
				require.True(t, ok, "%v", err)
				require.Contains(t, reason, c.skip)
				return
			}
			require.NoError(t, err)
			var rules []string
			for _, f := range rep.Findings {
				rules = append(rules, f.Rule)
				require.Equal(t, c.hidden, !strings.Contains(f.Match, pat), f.Match)
				require.Equal(t, 1, f.Line)
			}
			require.Equal(t, c.rules, rules)
		})
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct{ name, config string }{
		{"not toml", "[[rules]\n"},
		{"bad regex", "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n"},
		{"bad allowlist regex", "[[allowlists]]\nregexes = ['''[z-a]''']\n"},
		{"wrong type", "[[rules]]\nid = \"x\"\nregex = '''x'''\nentropy = \"lots\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := secrets.New(secrets.Options{Config: c.config})
			require.ErrorIs(t, err, scan.InvalidInput)
			require.Contains(t, err.Error(), "gitleaks config")
		})
	}
}

// ExampleNew scans one file's content with gitleaks' default rules.
func ExampleNew() {
	sc, _ := secrets.New(secrets.Options{})
	rep, _ := sc.Scan(context.Background(), &scan.File{Path: "app.env", Data: []byte("github_token = \"" + pat + "\"\n")})
	for _, f := range rep.Findings {
		fmt.Println(f.Rule, f.Line, f.Match)
	}
	// Output: github-pat 1 REDACTED
}
