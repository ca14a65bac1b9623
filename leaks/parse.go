package leaks

import (
	"errors"
	"fmt"

	"github.com/pelletier/go-toml/v2"
)

// ErrConfig is wrapped by every error of Parse and Check.
var ErrConfig = errors.New("gitleaks config")

// errBeyond is wrapped by the errors of the checks gitleaks does not
// make; it says nothing.
var errBeyond = errors.New("")

// Parse reads a gitleaks TOML configuration as gitleaks v8.30.1 reads it
// through viper: keys are case-insensitive, and values are converted as
// loosely (a string where a list is expected is split on commas, "" being
// none; another single value is a list of one; a single table is a list
// of one table, an empty one none; a string may be a number or a boolean,
// a number or a boolean a string; a float is truncated to an integer; a
// date where a table is expected is an empty table); unknown keys are
// ignored. files holds the texts of the files its [extend] path names, by
// the name the config gives each, up to gitleaks' depth of two extensions
// (a deeper [extend] is ignored, as gitleaks ignores it). Parse never opens
// a file, and does not compile regular expressions (Check does); it
// reports every other mistake gitleaks reports, as an error naming the
// rule, and a few more: an empty keyword, keys of a table that differ only
// in case, and an [extend] chain that comes back to a config already in
// it.
//
// Where gitleaks' result depends on the order of Go's map iteration, the
// result here is the one of a fixed order: a rule ID given twice in a
// config is one rule, the last given, at the first one's place (gitleaks
// lists the last one at both places); commits and stop words keep the
// order of their first occurrences; of several mistakes, the first in the
// file's order is reported; and keys of a table that differ only in case
// are a mistake (viper keeps one of them at random).
func Parse(text string, files map[string]string) (*Config, error) {
	p := &parser{files: files, chain: []string{text}}
	lv, err := p.translate(text, "", 0)
	if err == nil {
		err = lv.finish()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return lv.config(), nil
}

// parser reads a configuration and the configs it extends.
type parser struct {
	files map[string]string
	// chain holds the texts of the configs read so far, from the top.
	chain []string
}

// level is one config of an [extend] chain, read as gitleaks' Translate
// reads it but for the checks only the top-level config makes.
type level struct {
	rules []*Rule
	// byID indexes rules by ID.
	byID       map[string]int
	allowlists []*Allowlist
	targeted   []targeted
	unkept     []unkept
	ext        extension
}

// targeted is a global allowlist with targetRules.
type targeted struct {
	// n is its number among the global allowlists, from 1.
	n         int
	rules     []string
	allowlist *Allowlist
}

// extension is an [extend] table.
type extension struct {
	path       string
	useDefault bool
	disabled   []string
}

// translate reads a config at depth (0 for the top-level one; origin
// names it in the rules' places).
func (p *parser) translate(text, origin string, depth int) (*level, error) {
	var root map[string]any
	if err := toml.Unmarshal([]byte(text), &root); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("line %d, column %d: %w", row, col, err)
		}
		return nil, err
	}
	top, err := settings(root)
	if err != nil {
		return nil, err
	}
	f := fields{t: top}
	f.str("title") // unused, but viper refuses one that is not a string
	f.str("description")
	f.str("minversion") // not checked: gitleaks as a library does not
	lv := &level{byID: map[string]int{}}
	ext, hasExt := f.table("extend")
	rules := f.tables("rules")
	old, hasOld := f.table("allowlist")
	lists := f.tables("allowlists")
	if f.err != nil {
		return nil, f.err
	}
	if hasExt {
		if lv.ext, err = readExtension(ext); err != nil {
			return nil, fmt.Errorf("[extend]: %w", err)
		}
	}
	if err := lv.readRules(rules, origin); err != nil {
		return nil, err
	}
	if hasOld {
		if len(lists) > 0 {
			return nil, errors.New("[allowlist] is deprecated, it cannot be used alongside [[allowlists]]")
		}
		lists = append(lists, old)
	}
	if err := lv.readAllowlists(lists); err != nil {
		return nil, err
	}
	return lv, p.follow(lv, depth)
}

// readExtension reads an [extend] table.
func readExtension(t map[string]any) (extension, error) {
	t, err := folded(t)
	if err != nil {
		return extension{}, err
	}
	f := fields{t: t}
	e := extension{path: f.str("path"), useDefault: f.bool("usedefault"), disabled: f.strs("disabledrules")}
	f.str("url")
	return e, f.err
}

// readRules reads the [[rules]] tables, a rule replacing an earlier one
// of its ID, and checks their required rules are among them.
func (lv *level) readRules(tables []map[string]any, origin string) error {
	for i, t := range tables {
		r, err := readRule(t, i+1, origin)
		if err != nil {
			return err
		}
		if j, ok := lv.byID[r.ID]; ok {
			lv.unkeep(lv.rules[j], "rule replaced by a later one of its ID")
			lv.rules[j] = r
			continue
		}
		lv.byID[r.ID] = len(lv.rules)
		lv.rules = append(lv.rules, r)
	}
	for _, r := range lv.rules {
		for _, q := range r.Required {
			if _, ok := lv.byID[q.RuleID]; !ok {
				return fmt.Errorf("%s: [[rules.required]] rule %q does not exist", r.name(), q.RuleID)
			}
		}
	}
	return nil
}

// readAllowlists reads the global allowlists.
func (lv *level) readAllowlists(tables []map[string]any) error {
	for i, t := range tables {
		a, targets, err := allowlist(t, true)
		if err != nil {
			return fmt.Errorf("[[allowlists]] #%d: %w", i+1, err)
		}
		if len(targets) > 0 {
			lv.targeted = append(lv.targeted, targeted{i + 1, targets, a})
		} else {
			lv.allowlists = append(lv.allowlists, a)
		}
	}
	return nil
}

// unkeep records a rule, or part of one, that gitleaks compiles and
// drops.
func (lv *level) unkeep(r *Rule, what string) {
	lv.unkept = append(lv.unkept, unkept{fmt.Sprintf("%s (%s)", r.name(), what), r})
}

// finish makes the checks gitleaks makes on the top-level config once
// extended, but for those that need compiled patterns, and adds the
// targeted allowlists to their rules.
func (lv *level) finish() error {
	for _, r := range lv.rules {
		if err := r.validate(); err != nil {
			return err
		}
	}
	for _, t := range lv.targeted {
		for _, id := range t.rules {
			j, ok := lv.byID[id]
			if !ok {
				return fmt.Errorf("[[allowlists]] #%d: target rule %q does not exist", t.n, id)
			}
			lv.rules[j].Allowlists = append(lv.rules[j].Allowlists, t.allowlist)
		}
	}
	return nil
}

// config is the Config of a finished level.
func (lv *level) config() *Config {
	return &Config{Rules: lv.rules, Allowlists: lv.allowlists, unkept: lv.unkept}
}
