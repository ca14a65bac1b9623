package external

import (
	"slices"
	"strings"
)

// presets are the tools forkscan knows by name: data a person can read
// (`forkscan tools` prints them) and override (an [[exec]] table in
// forkscan.toml with the same name, or with preset = NAME and the keys to
// change).
var presets = []Tool{
	{
		Name:    "bandit",
		Command: []string{"bandit", "-q", "-f", "json", Placeholder},
		Format:  "json",
		OKExit:  []int{0, 1}, // 1: it found something
		Include: []string{"*.py"},
		Install: "apt-get install bandit, or pip install bandit",
	},
	{
		// --norc: a .shellcheckrc is looked for beside the script and in
		// every directory above it, out of the scanned root too, and one
		// in the tree could turn on external-sources and a source-path
		// that has shellcheck read files outside the root.
		Name:    "shellcheck",
		Command: []string{"shellcheck", "--norc", "-f", "json1", Placeholder},
		Format:  "json",
		OKExit:  []int{0, 1}, // 1: it found something
		Include: []string{"*.sh", "*.bash", "*.ksh", "*.dash"},
		Shebang: []string{"sh", "bash", "dash", "ksh"},
		Install: "apt-get install shellcheck, or see https://github.com/koalaman/shellcheck#installing",
	},
	{
		// semgrep's --config auto fetches rules from semgrep.dev and is
		// refused with --metrics off ("Cannot create auto config when
		// metrics are off", semgrep#11649): the user names the rules, a
		// file or directory of them (--tool semgrep=RULES), and semgrep
		// runs offline, its version check off too.
		Name:       "semgrep",
		Command:    []string{"semgrep", "scan", "--sarif", "--quiet", "--metrics", "off", "--disable-version-check", "--config", ConfigPlaceholder, Placeholder},
		Format:     "sarif",
		OKExit:     []int{0, 1},
		Install:    "pip install semgrep, or brew install semgrep",
		ConfigHelp: "its rules (a file or a directory of them)",
	},
}

// Presets returns the tools forkscan knows by name, sorted by name.
func Presets() []Tool {
	out := make([]Tool, len(presets))
	for i, t := range presets {
		out[i] = t.clone()
	}
	slices.SortFunc(out, func(a, b Tool) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Preset returns the tool forkscan knows as name.
func Preset(name string) (Tool, bool) {
	for _, t := range presets {
		if t.Name == name {
			return t.clone(), true
		}
	}
	return Tool{}, false
}

// PresetNames lists the names Preset knows, sorted.
func PresetNames() []string {
	var names []string
	for _, t := range Presets() {
		names = append(names, t.Name)
	}
	return names
}

// clone copies t, its lists included, so a caller may change it.
func (t Tool) clone() Tool {
	t.Command, t.OKExit = slices.Clone(t.Command), slices.Clone(t.OKExit)
	t.Include, t.Shebang = slices.Clone(t.Include), slices.Clone(t.Shebang)
	return t
}
