package external

import (
	"encoding/json"
	"slices"
)

// recordSettings picks out of the scanner's options (Options, as JSON)
// what decides its records (scan.Def.Settings): each tool's name (its
// findings' rule prefix), command line, format, ok exit statuses and the
// files it takes (Include, Shebang), in the tools' order. A tool's
// Timeout, Limit, PerFile and Install decide only how it runs, and are
// left out: a run that changes them keeps the records of one that did
// not. Options that do not decode are taken whole.
//
// What the tool itself is (its version, the program PATH finds) and the
// files it reads of its own accord (a .shellcheckrc beside the scripts)
// are not in the options, and not in the fingerprint.
func recordSettings(options []byte) []byte {
	var o Options
	if json.Unmarshal(options, &o) != nil {
		return options
	}
	type picked struct {
		Name    string   `json:"name"`
		Command []string `json:"command"`
		Format  string   `json:"format,omitempty"`
		OKExit  []int    `json:"ok_exit"`
		Include []string `json:"include,omitempty"`
		Shebang []string `json:"shebang,omitempty"`
	}
	out := make([]picked, len(o.Tools))
	for i, t := range o.Tools {
		ok := slices.Sorted(slices.Values(t.OKExit))
		if len(ok) == 0 {
			ok = []int{0} // what an empty OKExit means
		}
		out[i] = picked{Name: t.name(), Command: t.Command, Format: t.format(), OKExit: slices.Compact(ok), Include: t.Include, Shebang: t.Shebang}
	}
	b, _ := json.Marshal(out) // plain fields: cannot fail
	return b
}
