package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/forkscan/forkscan/internal/testwait"
)

// plant makes a secret for each of a dozen gitleaks rules, from a seeded
// generator so that every run plants the same ones. The secrets are made
// here, never committed, so no scanner of this repository flags it.
func plant(rng *rand.Rand) map[string]string {
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const (
		upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		b32   = upper + "234567"
		alnum = "abcdefghijklmnopqrstuvwxyz0123456789" + upper
		lower = "abcdefghijklmnopqrstuvwxyz0123456789"
		hex   = "0123456789abcdef"
		digit = "0123456789"
	)
	key := "-----BEGIN RSA PRIVATE KEY-----\n"
	for range 4 {
		key += pick(alnum, 64) + "\n"
	}
	key += "-----END RSA PRIVATE KEY-----"
	return map[string]string{
		"aws-access-token":     "AKIA" + pick(b32, 16),
		"github-pat":           "ghp_" + pick(alnum, 36),
		"gitlab-pat":           "glpat-" + pick(alnum, 20),
		"slack-bot-token":      "xoxb-" + pick(digit, 12) + "-" + pick(digit, 12) + "-" + pick(alnum, 24),
		"npm-access-token":     "npm_" + pick(lower, 36),
		"shopify-access-token": "shpat_" + pick(hex, 32),
		"digitalocean-pat":     "dop_v1_" + pick(hex, 64),
		"jwt":                  "eyJ" + pick(alnum, 30) + ".eyJ" + pick(alnum, 40) + "." + pick(alnum, 40),
		"pypi-upload-token":    "pypi-AgEIcHlwaS5vcmc" + pick(alnum, 60),
		"sendgrid-api-token":   "SG." + pick(alnum, 22) + "." + pick(alnum, 43),
		"stripe-access-token":  "sk_live_" + pick(alnum, 30),
		"private-key":          key,
		"generic-api-key":      pick(alnum, 32),
	}
}

// secretTree writes a tree with the planted secrets in ordinary files, in
// paths the default allowlist skips (node_modules, an image, go.sum), in a
// file gitleaks takes for binary, in a big file split across gitleaks'
// 100 kB chunks, and on a line marked gitleaks:allow.
func secretTree(t *testing.T, root string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(6, 2026))
	secrets := plant(rng)
	var names []string
	for name := range secrets {
		names = append(names, name)
	}
	slices.Sort(names)
	var all strings.Builder
	for i, name := range names {
		line := fmt.Sprintf("token = %q\n", secrets[name])
		if name == "generic-api-key" {
			line = fmt.Sprintf("api_key = \"%s\"\n", secrets[name])
		}
		write(t, filepath.Join(root, "src", fmt.Sprintf("f%02d.env", i)), "# config\n\n"+line)
		all.WriteString(line)
	}
	write(t, filepath.Join(root, "all.txt"), all.String())
	write(t, filepath.Join(root, "node_modules", "pkg", "index.js"), all.String())
	write(t, filepath.Join(root, "logo.png"), all.String())
	write(t, filepath.Join(root, "go.sum"), all.String())
	write(t, filepath.Join(root, "allowed.txt"), fmt.Sprintf("x = %q // gitleaks:allow\n", secrets["github-pat"]))
	write(t, filepath.Join(root, "blob.bin"), "\x7fELF\x02\x01\x01"+strings.Repeat("\x00", 9)+all.String())
	var big strings.Builder
	for big.Len() < 300_000 {
		big.WriteString(strings.Repeat("filler line without anything in it\n", 50))
		big.WriteString(fmt.Sprintf("token = %q\n", plant(rng)["github-pat"]))
	}
	write(t, filepath.Join(root, "deep", "big.log"), big.String())
}

// findingKey names a finding as gitleaks and forkscan are compared: file
// (relative to the root), line, rule.
func findingKey(path string, line int, rule string) string {
	return fmt.Sprintf("%s:%d:%s", path, line, rule)
}

// gitleaksFindings runs gitleaks' detector on root as `gitleaks dir` does:
// the default config, its walk, its chunking, decode depth 5.
func gitleaksFindings(t *testing.T, root string) []string {
	t.Helper()
	d, err := detect.NewDetectorDefaultConfig()
	require.NoError(t, err)
	d.MaxDecodeDepth = 5
	found, err := d.DetectSource(context.Background(), &sources.Files{Config: &d.Config, Path: root, Sema: d.Sema})
	require.NoError(t, err)
	var out []string
	for _, f := range found {
		rel, err := filepath.Rel(root, f.File)
		require.NoError(t, err)
		out = append(out, findingKey(rel, f.StartLine, f.RuleID))
	}
	slices.Sort(out)
	return out
}

func TestSecretsFindTheSameAsGitleaks(t *testing.T) {
	root := t.TempDir()
	secretTree(t, root)
	want := gitleaksFindings(t, root)
	rules := map[string]bool{}
	for _, w := range want {
		rules[w[strings.LastIndex(w, ":")+1:]] = true
	}
	require.GreaterOrEqual(t, len(rules), 10, "the fixture exercises at least ten rules: %v", want)

	for _, mode := range []string{"processes", "in-process"} {
		t.Run(mode, func(t *testing.T) {
			// Building gitleaks' rules under -race on a busy machine can
			// take the default 10s a worker has to start: the bound here
			// only catches a worker that never starts.
			args := []string{"scan", "-w", "2", "--no-progress", "--start-timeout", testwait.Bound(time.Minute).String(), root}
			if mode == "in-process" {
				args = append(args, "--in-process")
			}
			code, out, errOut := cli(t, args...)
			require.Equal(t, exitFindings, code, errOut)
			var got []string
			recs := records(t, out)
			for _, r := range recs {
				require.Equal(t, "secrets", r.Scanner, "secrets is the default scanner")
				for _, f := range r.Findings {
					got = append(got, findingKey(r.Path, f.Line, f.Rule))
					require.NotContains(t, f.Match, "ghp_", "redacted by default")
				}
			}
			slices.Sort(got)
			require.Equal(t, want, got)
			require.Equal(t, "skipped", recs["node_modules/pkg/index.js|secrets"].Status.String())
			require.Contains(t, recs["logo.png|secrets"].Reason, "allowlist")
			require.Equal(t, "skipped", recs["blob.bin|secrets"].Status.String())
			require.Equal(t, "ok", recs["allowed.txt|secrets"].Status.String())
		})
	}
}

func TestSecretsConfigAndRedaction(t *testing.T) {
	root := t.TempDir()
	pat := plant(rand.New(rand.NewPCG(1, 1)))["github-pat"]
	write(t, filepath.Join(root, "a.txt"), "token = \""+pat+"\"\nmagic = XYZZY-1234\n")
	cfg := filepath.Join(t.TempDir(), "rules.toml")
	write(t, cfg, "[[rules]]\nid = \"magic-word\"\ndescription = \"a magic word\"\nregex = '''XYZZY-\\d{4}'''\n")
	bad := filepath.Join(t.TempDir(), "bad.toml")
	write(t, bad, "[[rules]]\nid = \"broken\"\nregex = '''(unclosed'''\n")

	code, out, errOut := cli(t, "scan", "--no-progress", "--no-redact", root)
	require.Equal(t, exitFindings, code, errOut)
	rec := records(t, out)["a.txt|secrets"]
	require.Len(t, rec.Findings, 1)
	require.Contains(t, rec.Findings[0].Match, pat, "--no-redact shows the secret")

	code, out, errOut = cli(t, "scan", "--no-progress", "--secrets-config", cfg, root)
	require.Equal(t, exitFindings, code, errOut)
	rec = records(t, out)["a.txt|secrets"]
	require.Len(t, rec.Findings, 1, "only the config's rule: %+v", rec.Findings)
	require.Equal(t, "magic-word", rec.Findings[0].Rule)
	require.Equal(t, 2, rec.Findings[0].Line)

	// gitleaks' own habit: a .gitleaks.toml in the root is the config, and
	// .gitleaksignore drops findings by fingerprint.
	write(t, filepath.Join(root, ".gitleaksignore"), "a.txt:github-pat:1\n")
	code, out, errOut = cli(t, "scan", "--no-progress", root)
	require.Equal(t, exitOK, code, errOut)
	require.Empty(t, records(t, out)["a.txt|secrets"].Findings)

	for _, c := range []struct{ name, path, says string }{
		{"invalid", bad, "--secrets-config"},
		{"missing", filepath.Join(root, "nope.toml"), "nope.toml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, "scan", "--no-progress", "--secrets-config", c.path, root)
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, c.says)
		})
	}
}
