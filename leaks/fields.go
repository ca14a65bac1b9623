package leaks

import "fmt"

// keyNames spell, in errors, the keys whose spelling differs from their
// folded form.
var keyNames = map[string]string{
	"secretgroup": "secretGroup", "skipreport": "skipReport", "regextarget": "regexTarget",
	"targetrules": "targetRules", "withinlines": "withinLines", "withincolumns": "withinColumns",
	"usedefault": "useDefault", "disabledrules": "disabledRules", "minversion": "minVersion",
}

// fields reads the values of a table whose keys are folded, converting
// each as viper would; the first error sticks, naming its key.
type fields struct {
	t   map[string]any
	err error
}

// get returns key's value, if it has one and no error came before.
func (f *fields) get(key string) (any, bool) {
	v, ok := f.t[key]
	return v, ok && f.err == nil
}

// fail records err, about key, unless an error came before.
func (f *fields) fail(key string, err error) {
	if err != nil && f.err == nil {
		if name, ok := keyNames[key]; ok {
			key = name
		}
		f.err = fmt.Errorf("%s: %w", key, err)
	}
}

// str reads a string.
func (f *fields) str(key string) string {
	v, ok := f.get(key)
	if !ok {
		return ""
	}
	s, err := asString(v)
	f.fail(key, err)
	return s
}

// int reads an integer.
func (f *fields) int(key string) int {
	v, ok := f.get(key)
	if !ok {
		return 0
	}
	i, err := asInt(v)
	f.fail(key, err)
	return i
}

// intPtr reads an integer; nil without one.
func (f *fields) intPtr(key string) *int {
	if _, ok := f.get(key); !ok {
		return nil
	}
	i := f.int(key)
	return &i
}

// float reads a number.
func (f *fields) float(key string) float64 {
	v, ok := f.get(key)
	if !ok {
		return 0
	}
	x, err := asFloat(v)
	f.fail(key, err)
	return x
}

// bool reads a boolean.
func (f *fields) bool(key string) bool {
	v, ok := f.get(key)
	if !ok {
		return false
	}
	b, err := asBool(v)
	f.fail(key, err)
	return b
}

// strs reads a list of strings.
func (f *fields) strs(key string) []string {
	v, ok := f.get(key)
	if !ok {
		return nil
	}
	s, err := asStrings(v)
	f.fail(key, err)
	return s
}

// table reads a table; ok says it is there.
func (f *fields) table(key string) (t map[string]any, ok bool) {
	v, ok := f.get(key)
	if !ok {
		return nil, false
	}
	t, err := asTable(v)
	f.fail(key, err)
	return t, err == nil
}

// tables reads a list of tables.
func (f *fields) tables(key string) []map[string]any {
	v, ok := f.get(key)
	if !ok {
		return nil
	}
	ts, err := asTables(v)
	f.fail(key, err)
	return ts
}
