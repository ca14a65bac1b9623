package leaks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fieldNames are the keys of gitleaks' ViperConfig and of the structs it
// holds, lowercased.
var fieldNames = []string{
	"title", "description", "extend", "rules", "allowlist", "allowlists", "minversion",
	"path", "url", "usedefault", "disabledrules",
	"id", "regex", "secretgroup", "entropy", "keywords", "tags", "required", "skipreport",
	"condition", "commits", "paths", "regextarget", "regexes", "stopwords", "targetrules",
	"withinlines", "withincolumns",
}

// fold is the key under which a table's key is read: viper lowercases
// keys, then mapstructure matches each field's name to a key with
// strings.EqualFold, which also folds a few non-ASCII letters (the
// Kelvin sign, the long s) that strings.ToLower leaves be.
func fold(key string) string {
	lower := strings.ToLower(key)
	for i := range len(lower) {
		if lower[i] >= 0x80 {
			for _, name := range fieldNames {
				if strings.EqualFold(lower, name) {
					return name
				}
			}
			break
		}
	}
	return lower
}

// folded returns t with its keys folded; t itself when they already are.
// Two keys that fold alike are an error: viper keeps one of them, which
// one depending on the order of Go's map iteration.
func folded(t map[string]any) (map[string]any, error) {
	same := true
	for k := range t {
		if fold(k) != k {
			same = false
			break
		}
	}
	if same {
		return t, nil
	}
	out := make(map[string]any, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		f := fold(k)
		if _, dup := out[f]; dup {
			return nil, fmt.Errorf("key %q is given twice (keys are case-insensitive)%w", f, errBeyond)
		}
		out[f] = t[k]
	}
	return out, nil
}

// settings is the top-level table as viper's Unmarshal reads it: viper
// flattens the tables it reaches through tables alone into dotted keys
// (folded), dropping those that hold no value, then nests the keys
// again, splitting them on every dot, a quoted key's too. Tables within
// arrays are left as they are (their keys folded when read).
func settings(root map[string]any) (map[string]any, error) {
	flat := map[string]any{}
	if err := flatten(flat, root, ""); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(flat)) {
		path := strings.Split(k, ".")
		t := out
		for _, p := range path[:len(path)-1] {
			next, ok := t[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				t[p] = next
			}
			t = next
		}
		t[path[len(path)-1]] = flat[k]
	}
	return out, nil
}

// flatten adds to flat the values t holds, by their dotted keys under
// prefix.
func flatten(flat, t map[string]any, prefix string) error {
	t, err := folded(t)
	if err != nil {
		if prefix != "" {
			err = fmt.Errorf("[%s] %w", strings.TrimSuffix(prefix, "."), err)
		}
		return err
	}
	for k, v := range t {
		key := prefix + k
		if sub, ok := v.(map[string]any); ok {
			if err := flatten(flat, sub, key+"."); err != nil {
				return err
			}
			continue
		}
		if _, dup := flat[key]; dup {
			return fmt.Errorf("key %q is given twice%w", key, errBeyond)
		}
		flat[key] = v
	}
	return nil
}
