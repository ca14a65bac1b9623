package leaks_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/forkscan/forkscan/leaks"
)

// configCase is a config, what Parse and Check make of it, and whether
// gitleaks agrees.
type configCase struct {
	name  string
	text  string
	files map[string]string
	// err is part of the error Parse (or, with inCheck, Check) returns;
	// "" for none.
	err     string
	inCheck bool
	// stricter: gitleaks accepts the config, we refuse it.
	stricter bool
	// check checks the config read.
	check func(t *testing.T, c *leaks.Config)
}

// rule is a [[rules]] table with the given id and regex.
func rule(id, regex string) string {
	return "[[rules]]\nid = '" + id + "'\nregex = '''" + regex + "'''\n"
}

// base is a config to extend: rules a and b, each with an allowlist, a
// global allowlist, and an allowlist targeting a (dropped, as it is in an
// extended config).
const base = `
[[rules]]
id = "b"
description = "base b"
regex = '''b(\d)(\d)'''
secretGroup = 1
entropy = 2.0
keywords = ["bee"]
tags = ["base"]
path = '''\.b$'''
[[rules.allowlists]]
regexes = ['''base-b''']

[[rules]]
id = "a"
description = "base a"
regex = '''a(\d)'''
keywords = ["ay"]
tags = ["base"]
[[rules.allowlists]]
stopwords = ["base-a"]

[[allowlists]]
description = "base global"
paths = ['''base''']

[[allowlists]]
targetRules = ["a", "nonexistent"]
paths = ['''targeted-from-base''']
`

// ids lists c's rules' IDs.
func ids(c *leaks.Config) []string { return ruleIDs(c) }

// find is c's rule of id.
func find(t *testing.T, c *leaks.Config, id string) *leaks.Rule {
	t.Helper()
	for _, r := range c.Rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no rule %q among %q", id, ids(c))
	return nil
}

// ptr is a pointer to v.
func ptr(v int) *int { return &v }

// configCases are the features of gitleaks' configuration format, and
// its mistakes, one a case.
var configCases = []configCase{
	{name: "empty config", text: "", check: func(t *testing.T, c *leaks.Config) {
		require.Empty(t, c.Rules)
		require.Empty(t, c.Allowlists)
	}},
	{name: "rule fields", text: `
[[rules]]
id = "r"
description = "a rule"
regex = '''k(e)(y)'''
secretGroup = 2
entropy = 3.5
keywords = ["KeY", "Other"]
tags = ["T1", "t2"]
path = '''\.env$'''
skipReport = true`, check: func(t *testing.T, c *leaks.Config) {
		require.Equal(t, []*leaks.Rule{{ID: "r", Description: "a rule", Regex: `k(e)(y)`, SecretGroup: 2, Entropy: 3.5,
			Keywords: []string{"key", "other"}, Tags: []string{"T1", "t2"}, Path: `\.env$`, SkipReport: true}}, stripAt(c.Rules))
	}},
	{name: "rules keep the file's order", text: rule("z", "z") + rule("a", "a") + rule("m", "m"),
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"z", "a", "m"}, ids(c)) }},
	{name: "an ID given twice is the last rule, at the first place", text: rule("x", "first") + rule("y", "y") + rule("x", "second"),
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []string{"x", "y"}, ids(c))
			require.Equal(t, "second", c.Rules[0].Regex)
		}},
	{name: "keys are case-insensitive", text: `
[[Rules]]
ID = "r"
REGEX = '''(a)(b)'''
SecretGroup = 2
secretgroup_unknown = 5
[[Rules.AllowLists]]
StopWords = ["X"]
RegexTarget = "line"
Regexes = ["r"]
[[Rules.Required]]
Id = "r"
WITHINLINES = 3
withincolumns = 4`, check: func(t *testing.T, c *leaks.Config) {
		r := find(t, c, "r")
		require.Equal(t, 2, r.SecretGroup)
		require.Equal(t, []string{"x"}, r.Allowlists[0].StopWords)
		require.Equal(t, "line", r.Allowlists[0].RegexTarget)
		require.Equal(t, []leaks.Required{{RuleID: "r", WithinLines: ptr(3), WithinColumns: ptr(4)}}, r.Required)
	}},
	{name: "a key given twice in different cases", text: "[[rules]]\nid = 'r'\nregex = 'a'\nsecretGroup = 0\nsecretgroup = 1\n",
		err: `[[rules]] #1: key "secretgroup" is given twice`, stricter: true},
	{name: "a top-level key given twice in different cases", text: "title = 'a'\nTitle = 'b'\n",
		err: `key "title" is given twice`, stricter: true},
	{name: "Kelvin sign folds as mapstructure folds it", text: "[[rules]]\nid = 'r'\nregex = 'a'\n\"\u212Aeywords\" = ['x']\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"x"}, c.Rules[0].Keywords) }},
	{name: "unknown keys are ignored", text: "colour = 'red'\n[[rules]]\nid = 'r'\nregex = 'a'\nweight = 3\n[whatever]\nx = 1\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"r"}, ids(c)) }},
	{name: "TOML syntax error", text: "[[rules]]\nid = 'r'\nid = 's'\n", err: "line 3, column 1: toml: key id is already defined"},
	{name: "title of the wrong type", text: "title = [1]\n", err: "title: want a string, not an array"},

	// Loose values, as viper and mapstructure read them.
	{name: "a string for a list is split on commas", text: "[[rules]]\nid = 'r'\nregex = 'a'\nkeywords = 'One,TWO'\ntags = ''\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []string{"one", "two"}, c.Rules[0].Keywords)
			require.Empty(t, c.Rules[0].Tags)
		}},
	{name: "a number for a list is a list of one", text: "[[rules]]\nid = 'r'\nregex = 'a'\ntags = 5\nkeywords = [1, 2.5, true]\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []string{"5"}, c.Rules[0].Tags)
			require.Equal(t, []string{"1", "2.5", "1"}, c.Rules[0].Keywords)
		}},
	{name: "strings for numbers and booleans", text: "[[rules]]\nid = 7\nregex = '(a)(b)'\nsecretGroup = '0x2'\nentropy = '3.25'\nskipReport = 'true'\n",
		check: func(t *testing.T, c *leaks.Config) {
			r := c.Rules[0]
			require.Equal(t, []any{"7", 2, 3.25, true}, []any{r.ID, r.SecretGroup, r.Entropy, r.SkipReport})
		}},
	{name: "a float secretGroup is truncated, a boolean entropy is 1", text: "[[rules]]\nid = 'r'\nregex = '(a)(b)'\nsecretGroup = 2.9\nentropy = true\nskipReport = 0\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []any{2, 1.0, false}, []any{c.Rules[0].SecretGroup, c.Rules[0].Entropy, c.Rules[0].SkipReport})
		}},
	{name: "a string that is no integer", text: "[[rules]]\nid = 'r'\nregex = 'a'\nsecretGroup = 'two'\n", err: `rule "r": secretGroup: "two" is not an integer`},
	{name: "a list within a list of strings", text: "[[rules]]\nid = 'r'\nregex = 'a'\nkeywords = [['a']]\n", err: `rule "r": keywords: item 1: want a string, not an array`},
	{name: "a string for a list of tables", text: "[[rules]]\nid = 'r'\nregex = 'a'\nallowlists = 'x'\n", err: `rule "r": allowlists: want a table, not a string`},
	{name: "an empty string for a list of tables is none", text: "[[rules]]\nid = 'r'\nregex = 'a'\nallowlists = ''\nrequired = ''\n",
		check: func(t *testing.T, c *leaks.Config) { require.Empty(t, c.Rules[0].Allowlists) }},
	{name: "a single table for a list of tables", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[rules.allowlists]\npaths = ['p']\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"p"}, c.Rules[0].Allowlists[0].Paths) }},
	{name: "a single [rules] table is one rule", text: "[rules]\nid = 'r'\nregex = 'a'\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"r"}, ids(c)) }},
	{name: "a date for an allowlist is an empty one", text: "[[rules]]\nid = 'r'\nregex = 'a'\nallowlists = 1979-05-27\n",
		err: `rule "r": [[rules.allowlists]] #1: must contain at least one check`},
	{name: "a date for a string", text: "[[rules]]\nid = 'r'\nregex = 1979-05-27T07:32:00Z\n", err: `rule "r": regex: want a string, not a date or time`},
	{name: "a quoted dotted top-level key is nested, as viper nests it", text: "\"extend.useDefault\" = true\n",
		check: func(t *testing.T, c *leaks.Config) { require.Greater(t, len(c.Rules), 200) }},

	// Rules' mistakes.
	{name: "rule without an ID", text: "[[rules]]\nregex = 'a'\n", err: "[[rules]] #1: id is missing or empty"},
	{name: "rule with a blank ID", text: rule("ok", "a") + "[[rules]]\nid = '  '\nregex = 'a'\n", err: "[[rules]] #2: id is missing or empty"},
	{name: "rule with neither regex nor path", text: "[[rules]]\nid = 'r'\ndescription = 'd'\n", err: `rule "r": both regex and path are empty`},
	{name: "path-only rule", text: "[[rules]]\nid = 'r'\npath = '''\\.pem$'''\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, `\.pem$`, c.Rules[0].Path) }},
	{name: "empty keyword", text: "[[rules]]\nid = 'r'\nregex = 'a'\nkeywords = ['a', '']\n", err: `rule "r": keyword 2 is empty`, stricter: true},
	{name: "empty keyword from a split string", text: "[[rules]]\nid = 'r'\nregex = 'a'\nkeywords = 'a,,b'\n", err: `rule "r": keyword 2 is empty`, stricter: true},
	{name: "secretGroup beyond the regex's groups", text: "[[rules]]\nid = 'r'\nregex = '(a)'\nsecretGroup = 2\n",
		err: `rule "r": invalid regex secret group 2, max regex secret group 1`, inCheck: true},
	{name: "secretGroup of a path-only rule is not checked", text: "[[rules]]\nid = 'r'\npath = 'a'\nsecretGroup = 2\n"},
	{name: "regex that does not compile", text: "[[rules]]\nid = 'r'\nregex = '(a'\n", err: `rule "r": regex: error parsing regexp`, inCheck: true},
	{name: "path that does not compile", text: "[[rules]]\nid = 'r'\npath = '[a'\n", err: `rule "r": path: error parsing regexp`, inCheck: true},
	{name: "regex of a rule replaced by a later one of its ID", text: rule("r", "(a") + rule("r", "a"),
		err: `rule "r" (rule replaced by a later one of its ID): regex`, inCheck: true},

	// Rules' allowlists.
	{name: "rule allowlists in order", text: `
[[rules]]
id = "r"
regex = "a"
[[rules.allowlists]]
description = "one"
condition = "and"
commits = [" ABC ", "abc", "Def"]
paths = ['''p1''', '''p2''']
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''r1''']
stopwords = ["Foo", "FOO", "bar"]`, check: func(t *testing.T, c *leaks.Config) {
		require.Equal(t, []*leaks.Allowlist{
			{Description: "one", And: true, Commits: []string{"abc", "def"}, Paths: []string{"p1", "p2"}},
			{RegexTarget: "match", Regexes: []string{"r1"}, StopWords: []string{"foo", "bar"}},
		}, c.Rules[0].Allowlists)
		require.Equal(t, "(?:p1|p2)", c.Rules[0].Allowlists[0].PathsPattern())
		require.Equal(t, "", c.Rules[0].Allowlists[0].RegexesPattern())
	}},
	{name: "deprecated [rules.allowlist]", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[rules.allowlist]\nregexes = ['x']\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"x"}, c.Rules[0].Allowlists[0].Regexes) }},
	{name: "[rules.allowlist] with [[rules.allowlists]]", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[rules.allowlist]\nregexes = ['x']\n[[rules.allowlists]]\nregexes = ['y']\n",
		err: `rule "r": [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlists]]`},
	{name: "empty [rules.allowlist]", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[rules.allowlist]\n",
		err: `rule "r": [[rules.allowlists]] #1: must contain at least one check`},
	{name: "empty [[rules.allowlists]]", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\ndescription = 'nothing'\n",
		err: `rule "r": [[rules.allowlists]] #1: must contain at least one check`},
	{name: "allowlist conditions", text: "[[rules]]\nid = 'r'\nregex = 'a'\n" +
		"[[rules.allowlists]]\ncondition = 'AND'\npaths = ['a']\n[[rules.allowlists]]\ncondition = '&&'\npaths = ['a']\n" +
		"[[rules.allowlists]]\ncondition = 'Or'\npaths = ['a']\n[[rules.allowlists]]\ncondition = '||'\npaths = ['a']\n" +
		"[[rules.allowlists]]\ncondition = ''\npaths = ['a']\n",
		check: func(t *testing.T, c *leaks.Config) {
			var and []bool
			for _, a := range c.Rules[0].Allowlists {
				and = append(and, a.And)
			}
			require.Equal(t, []bool{true, true, false, false, false}, and)
		}},
	{name: "unknown condition", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\ncondition = 'xor'\npaths = ['a']\n",
		err: `rule "r": [[rules.allowlists]] #1: condition "xor" is none of AND, &&, OR, ||`},
	{name: "regexTarget secret is the default", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\nregexTarget = 'secret'\nregexes = ['a']\n",
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, "", c.Rules[0].Allowlists[0].RegexTarget) }},
	{name: "regexTarget is case-sensitive", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\nregexTarget = 'Line'\nregexes = ['a']\n",
		err: `rule "r": [[rules.allowlists]] #1: regexTarget "Line" is none of secret, match, line`},
	{name: "allowlist regex that does not compile", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\nregexes = ['ok', '(']\n",
		err: `rule "r": allowlist 1: regexes item 2: error parsing regexp`, inCheck: true},
	{name: "allowlist path that does not compile", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlists]]\npaths = ['[']\n",
		err: `rule "r": allowlist 1: paths item 1: error parsing regexp`, inCheck: true},

	// Required rules.
	{name: "required rules", text: rule("user", "u") + "skipReport = true\n" + rule("pass", "p") +
		"[[rules.required]]\nid = 'user'\nwithinLines = 2\n[[rules.required]]\nid = 'pass'\nwithinColumns = 0\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.True(t, find(t, c, "user").SkipReport)
			require.Equal(t, []leaks.Required{{RuleID: "user", WithinLines: ptr(2)}, {RuleID: "pass", WithinColumns: ptr(0)}}, find(t, c, "pass").Required)
		}},
	{name: "required rule with an empty ID", text: rule("r", "a") + "[[rules.required]]\nwithinLines = 2\n",
		err: `rule "r": [[rules.required]] #1: rule ID is empty`},
	{name: "required rule that does not exist", text: rule("r", "a") + "[[rules.required]]\nid = 'nope'\n",
		err: `rule "r": [[rules.required]] rule "nope" does not exist`},
	{name: "required rule only the extended config has", text: "[extend]\npath = 'base.toml'\n" + rule("r", "r") + "[[rules.required]]\nid = 'a'\n",
		files: map[string]string{"base.toml": base}, err: `rule "r": [[rules.required]] rule "a" does not exist`},

	// Global allowlists.
	{name: "global allowlists in order", text: rule("r", "a") + "[[allowlists]]\ndescription = 'one'\npaths = ['p']\n[[allowlists]]\ncommits = ['C']\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []*leaks.Allowlist{{Description: "one", Paths: []string{"p"}}, {Commits: []string{"c"}}}, c.Allowlists)
			require.Empty(t, c.Rules[0].Allowlists)
		}},
	{name: "deprecated [allowlist]", text: "[allowlist]\nstopwords = ['S']\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []*leaks.Allowlist{{StopWords: []string{"s"}}}, c.Allowlists)
		}},
	{name: "[allowlist] with [[allowlists]]", text: "[allowlist]\nstopwords = ['s']\n[[allowlists]]\nstopwords = ['t']\n",
		err: "[allowlist] is deprecated, it cannot be used alongside [[allowlists]]"},
	{name: "an empty [allowlist] table is no allowlist (viper drops empty tables)", text: "[allowlist]\n",
		check: func(t *testing.T, c *leaks.Config) { require.Empty(t, c.Allowlists) }},
	{name: "[allowlist] with an empty list is an empty allowlist", text: "[allowlist]\npaths = []\n",
		err: "[[allowlists]] #1: must contain at least one check"},
	{name: "empty [[allowlists]]", text: "[[allowlists]]\n", err: "[[allowlists]] #1: must contain at least one check"},
	{name: "global allowlist regexTarget", text: "[[allowlists]]\nregexTarget = 'mtach'\nregexes = ['a']\n",
		err: `[[allowlists]] #1: regexTarget "mtach" is none of secret, match, line`},
	{name: "global allowlist pattern that does not compile", text: "[[allowlists]]\npaths = ['(']\n",
		err: "global allowlist 1: paths item 1: error parsing regexp", inCheck: true},
	{name: "targetRules", text: rule("a", "a") + "[[rules.allowlists]]\npaths = ['own']\n" + rule("b", "b") + rule("c", "c") +
		"[[allowlists]]\npaths = ['global']\n[[allowlists]]\ntargetRules = ['a', 'b']\npaths = ['t1']\n[allowlists.unused]\n[[allowlists]]\ntargetRules = 'a'\npaths = ['t2']\n",
		check: func(t *testing.T, c *leaks.Config) {
			paths := func(r *leaks.Rule) (out []string) {
				for _, a := range r.Allowlists {
					out = append(out, a.Paths...)
				}
				return out
			}
			require.Equal(t, []string{"own", "t1", "t2"}, paths(find(t, c, "a")))
			require.Equal(t, []string{"t1"}, paths(find(t, c, "b")))
			require.Empty(t, paths(find(t, c, "c")))
			require.Equal(t, []*leaks.Allowlist{{Paths: []string{"global"}}}, c.Allowlists)
		}},
	{name: "targetRules naming no rule", text: rule("a", "a") + "[[allowlists]]\ntargetRules = ['a', 'b']\npaths = ['t']\n",
		err: `[[allowlists]] #1: target rule "b" does not exist`},
	{name: "targetRules of the deprecated [allowlist]", text: rule("a", "a") + "[allowlist]\ntargetRules = ['a']\npaths = ['t']\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Empty(t, c.Allowlists)
			require.Equal(t, []string{"t"}, c.Rules[0].Allowlists[0].Paths)
		}},
	{name: "targetRules within a rule's allowlist are ignored", text: rule("a", "a") + "[[rules.allowlists]]\ntargetRules = ['nope']\npaths = ['t']\n"},

	// [extend]
	{name: "extend path: merge", files: map[string]string{"base.toml": base}, text: `
[extend]
path = "base.toml"

[[rules]]
id = "b"
description = "top b"
regex = '''B(\d)(\d)(\d)'''
secretGroup = 3
entropy = 4.5
keywords = ["BEE2"]
tags = ["top"]
path = '''\.top$'''
skipReport = true
[[rules.allowlists]]
regexes = ['''top-b''']
[[rules.required]]
id = "c"

[[rules]]
id = "a"
tags = ["top"]

[[rules]]
id = "c"
regex = "c"

[[allowlists]]
description = "top global"
paths = ['''top''']

[[allowlists]]
targetRules = ["b"]
paths = ['''targeted-from-top''']`, check: func(t *testing.T, c *leaks.Config) {
		require.Equal(t, []string{"a", "b", "c"}, ids(c))
		a, b := find(t, c, "a"), find(t, c, "b")
		require.Equal(t, &leaks.Rule{ID: "a", Description: "base a", Regex: `a(\d)`, Keywords: []string{"ay"}, Tags: []string{"base", "top"},
			Allowlists: []*leaks.Allowlist{{StopWords: []string{"base-a"}}}}, stripAt([]*leaks.Rule{a})[0])
		require.Equal(t, &leaks.Rule{ID: "b", Description: "top b", Regex: `B(\d)(\d)(\d)`, SecretGroup: 3, Entropy: 4.5,
			Keywords: []string{"bee", "bee2"}, Tags: []string{"base", "top"}, Path: `\.top$`,
			Allowlists: []*leaks.Allowlist{{Regexes: []string{"base-b"}}, {Regexes: []string{"top-b"}}, {Paths: []string{"targeted-from-top"}}},
		}, stripAt([]*leaks.Rule{b})[0], "skipReport and required of the extending rule are dropped, as gitleaks drops them")
		require.Equal(t, []*leaks.Allowlist{{Description: "top global", Paths: []string{"top"}}, {Description: "base global", Paths: []string{"base"}}}, c.Allowlists)
	}},
	{name: "extend path: a rule of the extended config only keeps its fields", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\n[[rules]]\nid = 'b'\n",
		check: func(t *testing.T, c *leaks.Config) {
			b := find(t, c, "b")
			require.Equal(t, []any{"base b", `b(\d)(\d)`, 1, 2.0, `\.b$`}, []any{b.Description, b.Regex, b.SecretGroup, b.Entropy, b.Path})
		}},
	{name: "extend path: sorted even without rules of its own", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\n", check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"a", "b"}, ids(c)) }},
	{name: "extend path: file not given", text: "[extend]\npath = 'missing.toml'\n", err: `[extend] path "missing.toml": no such file was given`},
	{name: "extend path: found under its clean name", files: map[string]string{"./dir/../base.toml": base},
		text: "[extend]\npath = 'base.toml'\n", check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"a", "b"}, ids(c)) }},
	{name: "extend path: its mistakes name it", files: map[string]string{"bad.toml": "[[rules]]\nid = 'x'\n"},
		text: "[extend]\npath = 'bad.toml'\n", err: `rule "x": both regex and path are empty`},
	{name: "extend path: a rule in it has no ID", files: map[string]string{"bad.toml": rule("x", "x") + "[[rules]]\nregex = 'y'\n"},
		text: "[extend]\npath = 'bad.toml'\n", err: `[[rules]] #2 of extended config "bad.toml": id is missing or empty`},
	{name: "extend path: a type mistake in it", files: map[string]string{"bad.toml": "[[rules]]\nid = 'x'\nregex = 'x'\ntags = {a = 1}\n"},
		text: "[extend]\npath = 'bad.toml'\n", err: `extended config "bad.toml": rule "x": tags: want a string, not a table`},
	{name: "extend: a rule of the extending config with neither regex nor path", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\n[[rules]]\nid = 'new'\n", err: `rule "new": both regex and path are empty`},
	{name: "extend: path and useDefault", text: "[extend]\npath = 'base.toml'\nuseDefault = true\n", files: map[string]string{"base.toml": base},
		err: "[extend] path and useDefault are both set"},
	{name: "extend: disabledRules", files: map[string]string{"base.toml": base},
		text:  "[extend]\npath = 'base.toml'\ndisabledRules = ['b', 'nonexistent']\n" + rule("c", "c"),
		check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"a", "c"}, ids(c)) }},
	{name: "extend: a disabled rule of the extending config's ID stays as it is", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\ndisabledRules = 'b'\n" + rule("b", "mine"),
		check: func(t *testing.T, c *leaks.Config) {
			b := find(t, c, "b")
			require.Equal(t, []any{"mine", 0, 0}, []any{b.Regex, len(b.Tags), len(b.Allowlists)})
		}},
	{name: "extend: a disabled rule's regex is compiled still", files: map[string]string{"base.toml": rule("bad", "(")},
		text: "[extend]\npath = 'base.toml'\ndisabledRules = ['bad']\n", err: `rule "bad" (disabled rule of an extended config): regex`, inCheck: true},
	{name: "extend: an overridden regex is compiled still", files: map[string]string{"base.toml": rule("r", "(")},
		text: "[extend]\npath = 'base.toml'\n" + rule("r", "fine"), err: `rule "r" (patterns an extending config overrides): regex`, inCheck: true},
	{name: "extend: targetRules of an extended config are dropped", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []*leaks.Allowlist{{StopWords: []string{"base-a"}}}, find(t, c, "a").Allowlists)
		}},
	{name: "extend: a dropped targeted allowlist is compiled still",
		files: map[string]string{"base.toml": rule("a", "a") + "[[allowlists]]\ntargetRules = ['a']\nregexes = ['(']\n"},
		text:  "[extend]\npath = 'base.toml'\n", err: "[[allowlists]] #1 (of an extended config, with targetRules, which gitleaks drops): allowlist 1: regexes item 1", inCheck: true},
	{name: "extend: the extended config's mistakes in targeted allowlists", files: map[string]string{"base.toml": "[[allowlists]]\ntargetRules = ['a']\n"},
		text: "[extend]\npath = 'base.toml'\n", err: `extended config "base.toml": [[allowlists]] #1: must contain at least one check`},
	{name: "extend: two deep", files: map[string]string{
		"one.toml":   "[extend]\npath = 'two.toml'\n" + rule("one", "1") + "[[allowlists]]\npaths = ['one']\n",
		"two.toml":   "[extend]\npath = 'three.toml'\n" + rule("two", "2") + "[[allowlists]]\npaths = ['two']\n",
		"three.toml": rule("three", "3"),
	}, text: "[extend]\npath = 'one.toml'\n" + rule("zero", "0") + "[[allowlists]]\npaths = ['zero']\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []string{"one", "two", "zero"}, ids(c), "the third config is not read")
			require.Equal(t, []*leaks.Allowlist{{Paths: []string{"zero"}}, {Paths: []string{"one"}}, {Paths: []string{"two"}}}, c.Allowlists)
		}},
	{name: "extend: the [extend] two deep is ignored, mistakes and all", files: map[string]string{
		"one.toml": "[extend]\npath = 'two.toml'\n",
		"two.toml": "[extend]\npath = 'missing.toml'\nuseDefault = true\n" + rule("two", "2"),
	}, text: "[extend]\npath = 'one.toml'\n", check: func(t *testing.T, c *leaks.Config) { require.Equal(t, []string{"two"}, ids(c)) }},
	{name: "extend: useDefault two deep", files: map[string]string{"one.toml": "[extend]\nuseDefault = true\n" + rule("00-mine", "x")},
		text: "[extend]\npath = 'one.toml'\n", check: func(t *testing.T, c *leaks.Config) {
			require.Greater(t, len(c.Rules), 200)
			require.Equal(t, "00-mine", c.Rules[0].ID)
		}},
	{name: "extend: a config extending itself", files: map[string]string{"self.toml": "[extend]\npath = 'self.toml'\n" + rule("s", "s")},
		text: "[extend]\npath = 'self.toml'\n", err: `[extend] path "self.toml": a config of this chain extends itself`, stricter: true},
	{name: "extend: the top-level config extending itself", files: map[string]string{"top.toml": "[extend]\npath = 'top.toml'\n" + rule("s", "s")},
		text: "[extend]\npath = 'top.toml'\n" + rule("s", "s"), err: `a config of this chain extends itself`, stricter: true},
	{name: "extend: a loop at the depth gitleaks stops at", files: map[string]string{
		"one.toml": "[extend]\npath = 'two.toml'\n" + rule("one", "1"),
		"two.toml": "[extend]\npath = 'one.toml'\n" + rule("two", "2"),
	}, text: "[extend]\npath = 'one.toml'\n", err: `extended config "two.toml": [extend] path "one.toml": a config of this chain extends itself`, stricter: true},
	{name: "extend: useDefault", text: "[extend]\nuseDefault = true\n" + rule("zzz-mine", "z") + rule("aws-access-token", "") +
		"description = 'mine'\ntags = ['mine']\n[[allowlists]]\npaths = ['mine']\n",
		check: func(t *testing.T, c *leaks.Config) {
			d, err := leaks.Default()
			require.NoError(t, err)
			require.Len(t, c.Rules, len(d.Rules)+1)
			require.True(t, slices.IsSortedFunc(c.Rules, func(a, b *leaks.Rule) int { return strings.Compare(a.ID, b.ID) }))
			aws := find(t, c, "aws-access-token")
			require.Equal(t, "mine", aws.Description)
			require.Equal(t, find(t, d, "aws-access-token").Regex, aws.Regex)
			require.Equal(t, "mine", aws.Tags[len(aws.Tags)-1])
			require.Equal(t, []string{"mine"}, c.Allowlists[0].Paths)
			require.Equal(t, d.Allowlists, c.Allowlists[1:])
		}},
	{name: "extend: targetRules of the top-level config reach the extended config's rules", files: map[string]string{"base.toml": base},
		text: "[extend]\npath = 'base.toml'\n[[allowlists]]\ntargetRules = ['a']\ncommits = ['c']\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.Equal(t, []*leaks.Allowlist{{StopWords: []string{"base-a"}}, {Commits: []string{"c"}}}, find(t, c, "a").Allowlists)
		}},
	{name: "extend: the extended rule's required rules and skipReport stay",
		files: map[string]string{"base.toml": rule("u", "u") + "skipReport = true\n" + rule("p", "p") + "[[rules.required]]\nid = 'u'\nwithinLines = '3'\n"},
		text:  "[extend]\npath = 'base.toml'\n[[rules]]\nid = 'u'\nskipReport = false\n[[rules]]\nid = 'p'\ndescription = 'mine'\n",
		check: func(t *testing.T, c *leaks.Config) {
			require.True(t, find(t, c, "u").SkipReport)
			require.Equal(t, []leaks.Required{{RuleID: "u", WithinLines: ptr(3)}}, find(t, c, "p").Required)
		}},
	{name: "extend: useDefault with disabledRules", text: "[extend]\nuseDefault = true\ndisabledRules = ['aws-access-token', 'generic-api-key']\n",
		check: func(t *testing.T, c *leaks.Config) {
			d, err := leaks.Default()
			require.NoError(t, err)
			require.Len(t, c.Rules, len(d.Rules)-2)
			require.NotContains(t, ids(c), "generic-api-key")
		}},
	{name: "[[rules.allowlist]], the deprecated table as an array", text: "[[rules]]\nid = 'r'\nregex = 'a'\n[[rules.allowlist]]\npaths = ['p']\n",
		err: `rule "r": allowlist: want a table, not an array`},
	{name: "[[extend]], an array", text: "[[extend]]\nuseDefault = true\n", err: "extend: want a table, not an array"},
	{name: "extend: an [extend] with no path nor useDefault", text: "[extend]\ndisabledRules = ['x']\n" + rule("r", "r")},
	{name: "extend: useDefault as a string", text: "[extend]\nuseDefault = 'true'\n", check: func(t *testing.T, c *leaks.Config) { require.Greater(t, len(c.Rules), 200) }},
	{name: "extend: a date for [extend] is an empty table", text: "extend = 1979-05-27\n" + rule("r", "r")},
}

// stripAt copies rules without where they were defined, to compare them.
func stripAt(rules []*leaks.Rule) []*leaks.Rule {
	out := make([]*leaks.Rule, len(rules))
	for i, r := range rules {
		c := *r
		out[i] = leaks.StripAt(&c)
	}
	return out
}

// TestParse reads each case's config with Parse and Check.
func TestParse(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := leaks.Parse(tc.text, tc.files)
			if err == nil {
				err = c.Check()
				if tc.err != "" && !tc.inCheck {
					t.Fatalf("Parse: no error; Check: %v", err)
				}
			}
			if tc.err == "" {
				require.NoError(t, err)
				if tc.check != nil {
					tc.check(t, c)
				}
				return
			}
			require.ErrorIs(t, err, leaks.ErrConfig)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// TestParseAsGitleaks reads each case's config with gitleaks too, and
// compares.
func TestParseAsGitleaks(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) { differ(t, tc.text, tc.files, tc.stricter) })
	}
}

// TestDefault checks Default is Parse of gitleaks' default config, that
// Check passes it, and that each call returns a copy of its own.
func TestDefault(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*leaks.Config, 4)
	for i := range got {
		wg.Go(func() {
			c, err := leaks.Default()
			if err == nil {
				err = c.Check()
			}
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	wg.Wait()
	want, err := leaks.Parse(config.DefaultConfig, nil)
	require.NoError(t, err)
	require.Greater(t, len(want.Rules), 200)
	require.Equal(t, stripAt(want.Rules), stripAt(got[0].Rules))
	require.Equal(t, want.Allowlists, got[0].Allowlists)
	got[0].Rules[0].Keywords[0] = "changed"
	got[0].Allowlists[0].Paths[0] = "changed"
	require.Equal(t, stripAt(want.Rules), stripAt(got[1].Rules))
	require.Equal(t, want.Allowlists, got[1].Allowlists)
}

// TestCheckHandMade checks Check on a Config not made by Parse.
func TestCheckHandMade(t *testing.T) {
	for _, tc := range []struct {
		c   *leaks.Config
		err string
	}{
		{&leaks.Config{Rules: []*leaks.Rule{{ID: "r", Regex: "a"}}}, ""},
		{&leaks.Config{Rules: []*leaks.Rule{{Regex: "a"}}}, "a rule without an ID: id is missing or empty"},
		{&leaks.Config{Rules: []*leaks.Rule{{ID: "r"}}}, `rule "r": both regex and path are empty`},
		{&leaks.Config{Rules: []*leaks.Rule{{ID: "r", Regex: "a", Allowlists: []*leaks.Allowlist{{}}}}}, `rule "r": allowlist 1: must contain`},
		{&leaks.Config{Allowlists: []*leaks.Allowlist{{}}}, "global allowlist 1: must contain"},
	} {
		err := tc.c.Check()
		if tc.err == "" {
			require.NoError(t, err)
			continue
		}
		require.True(t, errors.Is(err, leaks.ErrConfig))
		require.ErrorContains(t, err, tc.err)
	}
}

// BenchmarkParseDefault measures Parse of gitleaks' default config, as
// every worker process does at start.
func BenchmarkParseDefault(b *testing.B) {
	for b.Loop() {
		if _, err := leaks.Parse(config.DefaultConfig, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseExtendDefault measures Parse of a config extending the
// default one.
func BenchmarkParseExtendDefault(b *testing.B) {
	text := "[extend]\nuseDefault = true\n" + rule("mine", "x")
	for b.Loop() {
		if _, err := leaks.Parse(text, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckDefault measures Check of the default config.
func BenchmarkCheckDefault(b *testing.B) {
	c, err := leaks.Default()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Check(); err != nil {
			b.Fatal(err)
		}
	}
}
