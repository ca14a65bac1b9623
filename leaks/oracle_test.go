package leaks_test

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	_ "unsafe" // go:linkname, for extendDepth

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/afero"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/logging"
	glre "github.com/zricethezav/gitleaks/v8/regexp"

	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/leaks"
)

// extendDepth is gitleaks' count of how deep the config it reads extends
// others, which it never sets back: gitleaks reads each config from zero.
//
//go:linkname extendDepth github.com/zricethezav/gitleaks/v8/config.extendDepth
var extendDepth int

// init silences gitleaks' log.
func init() {
	logging.Logger = logging.Logger.Output(io.Discard) // warnings of disabled rules that do not exist
}

// gitleaks reads a config with gitleaks' own config package, as gitleaks
// does: through viper's global instance, its extended files on a memory
// file system. A pattern that does not compile (a panic in gitleaks) is
// an error.
func gitleaks(text string, files map[string]string) (cfg config.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg, err = config.Config{}, fmt.Errorf("panic: %v", r)
		}
	}()
	viper.Reset()
	extendDepth = 0
	mem := afero.NewMemMapFs()
	for name, body := range files {
		if err := afero.WriteFile(mem, name, []byte(body), 0o444); err != nil {
			return config.Config{}, err
		}
	}
	viper.SetFs(mem)
	viper.SetConfigType("toml")
	if err := viper.ReadConfig(strings.NewReader(text)); err != nil {
		return config.Config{}, err
	}
	var vc config.ViperConfig
	if err := viper.Unmarshal(&vc); err != nil {
		return config.Config{}, err
	}
	return vc.Translate()
}

// parse reads a config with Parse, then Check.
func parse(text string, files map[string]string) (*leaks.Config, error) {
	c, err := leaks.Parse(text, files)
	if err != nil {
		return nil, err
	}
	return c, c.Check()
}

// differ fails t unless Parse and Check read text as gitleaks does: both
// refuse it, or both read the same rules and allowlists in the same order.
// stricter: Parse or Check refuses what gitleaks accepts.
func differ(t *testing.T, text string, files map[string]string, stricter bool) {
	t.Helper()
	theirs, theirErr := gitleaks(text, files)
	ours, ourErr := parse(text, files)
	compare(t, theirs, theirErr, ours, ourErr, stricter)
}

// compare fails t unless gitleaks' reading of a config and ours agree.
func compare(t *testing.T, theirs config.Config, theirErr error, ours *leaks.Config, ourErr error, stricter bool) {
	t.Helper()
	switch {
	case stricter:
		if theirErr != nil || ourErr == nil {
			t.Fatalf("want gitleaks to accept and us to refuse: gitleaks %v, us %v", theirErr, ourErr)
		}
		return
	case (theirErr == nil) != (ourErr == nil):
		t.Fatalf("gitleaks: %v; us: %v", theirErr, ourErr)
	case theirErr != nil:
		return
	}
	want := orderedRules(theirs)
	if got := ruleIDs(ours); !slices.Equal(got, idsOf(want)) {
		t.Fatalf("rules: got %q, gitleaks %q", got, idsOf(want))
	}
	for i, r := range want {
		if d := diffRule(ours.Rules[i], r); d != "" {
			t.Errorf("rule %q: %s", r.RuleID, d)
		}
	}
	if d := diffAllowlists(ours.Allowlists, theirs.Allowlists); d != "" {
		t.Errorf("global allowlists: %s", d)
	}
}

// orderedRules is gitleaks' ordered list of rules, each ID once, at its
// first place.
func orderedRules(c config.Config) []config.Rule {
	var out []config.Rule
	seen := map[string]bool{}
	for _, r := range c.GetOrderedRules() {
		if !seen[r.RuleID] {
			seen[r.RuleID] = true
			out = append(out, r)
		}
	}
	if len(out) != len(c.Rules) {
		panic("gitleaks' ordered rules are not its rules")
	}
	return out
}

// idsOf lists the rules' IDs.
func idsOf(rules []config.Rule) []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.RuleID
	}
	return ids
}

// ruleIDs lists c's rules' IDs.
func ruleIDs(c *leaks.Config) []string {
	ids := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		ids[i] = r.ID
	}
	return ids
}

// diffRule says how ours differs from gitleaks' rule; "" if it does not.
func diffRule(ours *leaks.Rule, r config.Rule) string {
	var d []string
	add := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			d = append(d, fmt.Sprintf("%s: got %q, gitleaks %q", what, fmt.Sprint(got), fmt.Sprint(want)))
		}
	}
	add("description", ours.Description, r.Description)
	add("regex", ours.Regex, pattern(r.Regex))
	add("path", ours.Path, pattern(r.Path))
	add("secretGroup", ours.SecretGroup, r.SecretGroup)
	if ours.Entropy != r.Entropy && !(math.IsNaN(ours.Entropy) && math.IsNaN(r.Entropy)) {
		add("entropy", ours.Entropy, r.Entropy)
	}
	add("keywords", nonNil(ours.Keywords), nonNil(r.Keywords))
	add("tags", nonNil(ours.Tags), nonNil(r.Tags))
	add("skipReport", ours.SkipReport, r.SkipReport)
	var req []string
	for _, q := range r.RequiredRules {
		req = append(req, fmt.Sprintf("%s/%s/%s", q.RuleID, intPtr(q.WithinLines), intPtr(q.WithinColumns)))
	}
	var got []string
	for _, q := range ours.Required {
		got = append(got, fmt.Sprintf("%s/%s/%s", q.RuleID, intPtr(q.WithinLines), intPtr(q.WithinColumns)))
	}
	add("required", got, req)
	if a := diffAllowlists(ours.Allowlists, r.Allowlists); a != "" {
		d = append(d, "allowlists: "+a)
	}
	return strings.Join(d, "; ")
}

// diffAllowlists says how ours differ from gitleaks' allowlists; "" if
// they do not. Commits and stop words are compared as sets: gitleaks
// keeps them in a random order.
func diffAllowlists(ours []*leaks.Allowlist, theirs []*config.Allowlist) string {
	if len(ours) != len(theirs) {
		return fmt.Sprintf("got %d, gitleaks %d", len(ours), len(theirs))
	}
	for i, a := range theirs {
		o := ours[i]
		got := fmt.Sprintf("%q %v %q %q %q %q %q", o.Description, o.And, set(o.Commits, true), o.Paths, o.RegexTarget, o.Regexes, set(o.StopWords, true))
		want := fmt.Sprintf("%q %v %q %q %q %q %q", a.Description, a.MatchCondition == config.AllowlistMatchAnd,
			set(a.Commits, false), patterns(a.Paths), a.RegexTarget, patterns(a.Regexes), set(a.StopWords, false))
		if got != want {
			return fmt.Sprintf("%d: got %s, gitleaks %s", i+1, got, want)
		}
	}
	return ""
}

// set is list sorted; with unique, list must hold each string once.
func set(list []string, unique bool) []string {
	s := slices.Sorted(slices.Values(list))
	if unique && len(slices.Compact(slices.Clone(s))) != len(s) {
		return append(s, "(duplicates)")
	}
	return nonNil(s)
}

// nonNil is list, or an empty list for nil.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// intPtr shows *p; "nil" for nil.
func intPtr(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// gitleaksDir is the directory of gitleaks' module; "" if it is not on
// this machine.
func gitleaksDir(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, "testdata", "config")); err != nil {
		return ""
	}
	return dir
}

// extended reads the files a config's [extend] path names, and theirs,
// relative to dir (as gitleaks' tests name them, from its config
// directory), by the name each config gives: those there are.
func extended(dir, text string) map[string]string {
	files := map[string]string{}
	for range 5 {
		var c struct{ Extend struct{ Path string } }
		if toml.Unmarshal([]byte(text), &c) != nil || c.Extend.Path == "" {
			break
		}
		if _, ok := files[c.Extend.Path]; ok {
			break
		}
		b, err := os.ReadFile(filepath.Join(dir, c.Extend.Path))
		if err != nil {
			break
		}
		text = string(b)
		files[c.Extend.Path] = text
	}
	return files
}

// TestGitleaksTestdata reads gitleaks' default config and each config of
// its testdata, from the module cache, as gitleaks does.
func TestGitleaksTestdata(t *testing.T) {
	dir := gitleaksDir(t)
	if dir == "" {
		realtool.Missing(t, "gitleaks' module (its testdata) is not in the module cache", "go mod download github.com/zricethezav/gitleaks/v8")
	}
	t.Run("default", func(t *testing.T) { differ(t, config.DefaultConfig, nil, false) })
	var names []string
	err := filepath.WalkDir(filepath.Join(dir, "testdata", "config"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".toml") {
			names = append(names, path)
		}
		return err
	})
	if err != nil || len(names) < 40 {
		t.Fatalf("testdata: %d configs, %v", len(names), err)
	}
	for _, name := range names {
		rel, _ := filepath.Rel(filepath.Join(dir, "testdata", "config"), name)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files := extended(filepath.Join(dir, "config"), string(b))
			t.Logf("extends %q", slices.Sorted(maps.Keys(files)))
			differ(t, string(b), files, false)
		})
	}
}

// pattern is the source of a gitleaks pattern; "" for none.
func pattern(re *glre.Regexp) string {
	if re == nil {
		return ""
	}
	return re.String()
}

// patterns are the sources of gitleaks patterns.
func patterns(res []*glre.Regexp) []string {
	out := make([]string, len(res))
	for i, re := range res {
		out[i] = pattern(re)
	}
	return out
}
