package leaks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// The oracle: gitleaks' own detector, in tests only.

// fromGitleaks converts a gitleaks config into ours (the oracle's rule
// set, so that a difference in findings is the detector's, not the
// parser's).
func fromGitleaks(c config.Config) *Config {
	out := &Config{}
	for _, id := range c.OrderedRules {
		r := c.Rules[id]
		lr := &Rule{ID: r.RuleID, Description: r.Description, SecretGroup: r.SecretGroup, Entropy: r.Entropy,
			Keywords: r.Keywords, Tags: r.Tags, SkipReport: r.SkipReport}
		if r.Regex != nil {
			lr.Regex = r.Regex.String()
		}
		if r.Path != nil {
			lr.Path = r.Path.String()
		}
		for _, a := range r.Allowlists {
			lr.Allowlists = append(lr.Allowlists, allowFromGitleaks(a))
		}
		for _, q := range r.RequiredRules {
			lr.Required = append(lr.Required, Required{RuleID: q.RuleID, WithinLines: q.WithinLines, WithinColumns: q.WithinColumns})
		}
		out.Rules = append(out.Rules, lr)
	}
	for _, a := range c.Allowlists {
		out.Allowlists = append(out.Allowlists, allowFromGitleaks(a))
	}
	return out
}

func allowFromGitleaks(a *config.Allowlist) *Allowlist {
	la := &Allowlist{Description: a.Description, And: a.MatchCondition == config.AllowlistMatchAnd,
		Commits: a.Commits, RegexTarget: a.RegexTarget, StopWords: a.StopWords}
	for _, p := range a.Paths {
		la.Paths = append(la.Paths, p.String())
	}
	for _, p := range a.Regexes {
		la.Regexes = append(la.Regexes, p.String())
	}
	return la
}

// oracle runs gitleaks' detector over a file as `gitleaks dir` does.
func oracle(t testing.TB, d *detect.Detector, name string, data []byte) []string {
	var out []string
	src := &sources.File{Content: strings.NewReader(string(data)), Path: name, Config: &d.Config}
	err := src.Fragments(context.Background(), func(f sources.Fragment, err error) error {
		if err != nil {
			return err
		}
		for _, g := range d.DetectContext(context.Background(), detect.Fragment(f)) {
			out = append(out, key(g.File, g.RuleID, g.StartLine, g.EndLine, g.StartColumn, g.EndColumn, g.Match, g.Secret))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// ours runs our detector over a file the same way.
func ours(t testing.TB, d *Detector, name string, data []byte) []string {
	var out []string
	if IsArchiveName(name) {
		return nil
	}
	frags, _ := Fragments(name, string(data))
	for _, f := range frags {
		found, err := d.Detect(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range found {
			out = append(out, key(g.File, g.RuleID, g.StartLine, g.EndLine, g.StartColumn, g.EndColumn, g.Match, g.Secret))
		}
	}
	sort.Strings(out)
	return out
}

func key(file, rule string, l1, l2, c1, c2 int, match, secret string) string {
	return fmt.Sprintf("%s:%d:%d-%d:%d %s %q %q", file, l1, c1, l2, c2, rule, match, secret)
}

// TestTreeAgainstGitleaks compares findings file by file, with lines,
// columns, match and secret, over a tree named by LEAKS_TREE (skipped
// without one): gitleaks' detector run in this process on stdlib regexp
// is slow, so make test compares with a released gitleaks instead
// (cmd/forkscan's TestSecretsParityWithGitleaks); this one finds which
// file differs, and how, when that one fails.
func TestTreeAgainstGitleaks(t *testing.T) {
	root := os.Getenv("LEAKS_TREE")
	if root == "" {
		t.Skip("skipped: LEAKS_TREE names no tree (a diagnostic run by hand; make test compares with a released gitleaks in cmd/forkscan)")
	}
	g, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	g.MaxDecodeDepth = 5
	d := New(fromGitleaks(g.Config))
	d.MaxDecodeDepth = 5
	n, files := 0, 0
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		want, got := oracle(t, g, p, data), ours(t, d, p, data)
		n += len(want)
		if !slices.Equal(want, got) {
			t.Errorf("%s:\n gitleaks %q\n ours     %q", p, want, got)
		}
		return nil
	})
	t.Logf("%d files, %d findings", files, n)
}
