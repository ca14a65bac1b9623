package external_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// The exec scanner's settings fingerprint (what its records carry, and a
// resume compares) changes with what decides a tool's records, and not
// with what decides only how it runs.
func TestSettingsFingerprint(t *testing.T) {
	def, ok := scan.Lookup(external.Name)
	require.True(t, ok)
	require.True(t, def.Hash, "the worker hashes the files the tools are handed")
	bandit, ok := external.Preset("bandit")
	require.True(t, ok)
	fingerprint := func(change func(*external.Tool)) string {
		tool, _ := external.Preset("bandit")
		change(&tool)
		return def.SettingsFingerprint(external.Options{Tools: []external.Tool{tool}}.Encode())
	}
	base := fingerprint(func(*external.Tool) {})
	require.Len(t, base, 24)
	require.Empty(t, def.SettingsFingerprint(nil), "no options, no settings")

	cases := []struct {
		name   string
		change func(*external.Tool)
		same   bool
	}{
		{"its command line", func(t *external.Tool) { t.Command = append([]string{"bandit", "-ll"}, t.Command[1:]...) }, false},
		{"its program", func(t *external.Tool) { t.Command[0] = "/opt/bandit/bin/bandit" }, false},
		{"its name", func(t *external.Tool) { t.Name = "bandit2" }, false},
		{"its format", func(t *external.Tool) { t.Format = "sarif" }, false},
		{"its ok exit statuses", func(t *external.Tool) { t.OKExit = []int{0} }, false},
		{"the files it takes", func(t *external.Tool) { t.Include = []string{"*.pyw"} }, false},
		{"scripts it takes by #!", func(t *external.Tool) { t.Shebang = []string{"python3"} }, false},
		{"its ok exit statuses in another order", func(t *external.Tool) { t.OKExit = []int{1, 0} }, true},
		{"JSON said the old way", func(t *external.Tool) { t.Format, t.JSON = "", true }, true},
		{"its time limit", func(t *external.Tool) { t.Timeout = time.Minute }, true},
		{"its cap on runs at once", func(t *external.Tool) { t.Limit = 2 }, true},
		{"one file per run", func(t *external.Tool) { t.PerFile = true }, true},
		{"how to install it", func(t *external.Tool) { t.Install = "pipx install bandit" }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fingerprint(c.change)
			if c.same {
				require.Equal(t, base, got)
			} else {
				require.NotEqual(t, base, got)
			}
		})
	}
	shellcheck, _ := external.Preset("shellcheck")
	two := def.SettingsFingerprint(external.Options{Tools: []external.Tool{bandit, shellcheck}}.Encode())
	require.NotEqual(t, base, two, "a tool added")
	require.NotEqual(t, two, def.SettingsFingerprint(external.Options{Tools: []external.Tool{shellcheck, bandit}}.Encode()),
		"the tools' order: it orders a record's findings")
}

// The worker hashes only the files a tool may be handed (scan.Hasher):
// by name, or, for a tool that picks scripts by their #! line, every file
// whose name has no extension.
func TestHashesOnlyWhatAToolMayTake(t *testing.T) {
	def, _ := scan.Lookup(external.Name)
	cases := []struct {
		tools []string
		path  string
		want  bool
	}{
		{[]string{"bandit"}, "app/main.py", true},
		{[]string{"bandit"}, "app/main.go", false},
		{[]string{"bandit", "shellcheck"}, "app/main.go", false}, // a name with an extension is not a script's
		{[]string{"bandit", "shellcheck"}, "app/run", true},      // it may be a script: its #! line says
		{[]string{"semgrep"}, "app/main.go", true},               // every file
	}
	for _, c := range cases {
		var tools []external.Tool
		for _, name := range c.tools {
			tool, ok := external.Preset(name)
			require.True(t, ok)
			if name == "semgrep" {
				tool.Config = "rules.yml" // its rules, which it needs
			}
			tools = append(tools, tool)
		}
		sc, err := def.Build(external.Options{Tools: tools}.Encode())
		require.NoError(t, err)
		h, ok := sc.(scan.Hasher)
		require.True(t, ok)
		require.Equal(t, c.want, h.Hashes(&scan.File{Root: "/r", Path: c.path}), "%v %s", c.tools, c.path)
	}
}
