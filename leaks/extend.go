package leaks

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// maxExtendDepth is how many configs deep gitleaks follows [extend]: the
// top-level config's, and that of the config it extends; the [extend] of
// a config at this depth is ignored.
const maxExtendDepth = 2

// follow extends lv, read at depth, as its [extend] says.
func (p *parser) follow(lv *level, depth int) error {
	e := lv.ext
	if e.path == "" && !e.useDefault {
		return nil
	}
	if depth == maxExtendDepth {
		return p.loop(e.path)
	}
	if e.path != "" && e.useDefault {
		return errors.New("[extend] path and useDefault are both set")
	}
	var base *level
	if e.useDefault {
		d, err := defaultLevel()
		if err != nil {
			return fmt.Errorf("the default config: %w", err)
		}
		base = d.clone()
	} else {
		text, ok := p.file(e.path)
		if !ok {
			return fmt.Errorf("[extend] path %q: no such file was given", e.path)
		}
		if err := p.loop(e.path); err != nil {
			return err
		}
		p.chain = append(p.chain, text)
		origin := fmt.Sprintf(" of extended config %q", e.path)
		var err error
		if base, err = p.translate(text, origin, depth+1); err != nil {
			return fmt.Errorf("extended config %q: %w", e.path, err)
		}
	}
	lv.extend(base, e.disabled)
	return nil
}

// file is the text of the file an [extend] path names: the one given by
// that name, else by a name that cleans to the same path.
func (p *parser) file(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if text, ok := p.files[name]; ok {
		return text, true
	}
	clean := filepath.Clean(name)
	for _, n := range slices.Sorted(maps.Keys(p.files)) {
		if filepath.Clean(n) == clean {
			return p.files[n], true
		}
	}
	return "", false
}

// loop refuses an [extend] path naming a config of the chain read so
// far. gitleaks would read that config again, up to its depth of
// extension, adding its tags, keywords and allowlists once more each
// time. Configs are known by their texts: the files given are by name,
// so two configs of the same text extend the same file.
func (p *parser) loop(name string) error {
	text, ok := p.file(name)
	if ok && slices.Contains(p.chain, text) {
		return fmt.Errorf("[extend] path %q: a config of this chain extends itself%w", name, errBeyond)
	}
	return nil
}

// extend merges base, the config lv extends, into lv as gitleaks' extend
// does: base's rules but those disabled are added, each of lv's rules of
// an ID base has overriding base's with its non-empty description,
// entropy, secret group, regex and path and adding its tags, keywords and
// allowlists to base's; base's global allowlists come after lv's; the
// rules are sorted by ID. base's targeted allowlists are dropped, as
// gitleaks applies those of the top-level config only.
func (lv *level) extend(base *level, disabled []string) {
	for _, b := range base.rules {
		if slices.Contains(disabled, b.ID) {
			lv.unkeep(b, "disabled rule of an extended config")
			continue
		}
		i, ok := lv.byID[b.ID]
		if !ok {
			lv.rules = append(lv.rules, b)
			continue
		}
		lv.rules[i] = lv.merge(b, lv.rules[i])
	}
	lv.allowlists = append(lv.allowlists, base.allowlists...)
	lv.unkept = append(lv.unkept, base.unkept...)
	for _, t := range base.targeted {
		lv.unkeep(&Rule{Allowlists: []*Allowlist{t.allowlist}, at: place{"[[allowlists]]", t.n, ""}},
			"of an extended config, with targetRules, which gitleaks drops")
	}
	slices.SortFunc(lv.rules, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	clear(lv.byID)
	for i, r := range lv.rules {
		lv.byID[r.ID] = i
	}
}

// merge is base, a rule of an extended config, as cur, lv's rule of its
// ID, changes it. cur's required rules and skipReport are dropped, as
// gitleaks drops them.
func (lv *level) merge(base, cur *Rule) *Rule {
	m := *base
	if cur.Description != "" {
		m.Description = cur.Description
	}
	if cur.Entropy != 0 {
		m.Entropy = cur.Entropy
	}
	if cur.SecretGroup != 0 {
		m.SecretGroup = cur.SecretGroup
	}
	if cur.Regex != "" || cur.Path != "" {
		lv.unkeep(&Rule{ID: base.ID, at: base.at, Regex: base.Regex, Path: base.Path}, "patterns an extending config overrides")
	}
	if cur.Regex != "" {
		m.Regex = cur.Regex
	}
	if cur.Path != "" {
		m.Path = cur.Path
	}
	m.Tags = concat(base.Tags, cur.Tags)
	m.Keywords = concat(base.Keywords, cur.Keywords)
	m.Allowlists = concat(base.Allowlists, cur.Allowlists)
	m.at = cur.at
	return &m
}

// concat is a's elements, then b's; appending to it never writes into
// a's array.
func concat[T any](a, b []T) []T {
	if len(a)+len(b) == 0 {
		return nil
	}
	return append(slices.Clip(a), b...)
}
