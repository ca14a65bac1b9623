package external_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// A SARIF log as semgrep --sarif prints it (trimmed): rules with default
// levels, results with and without their own level, regions.
const semgrepSARIF = `{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json",
 "runs":[{"tool":{"driver":{"name":"Semgrep OSS","rules":[
   {"id":"python.lang.security.eval","defaultConfiguration":{"level":"error"}},
   {"id":"python.lang.style.print","defaultConfiguration":{"level":"note"}}]}},
  "results":[
   {"ruleId":"python.lang.security.eval","message":{"text":"eval is dangerous"},
    "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app.py"},"region":{"startLine":3,"startColumn":5,"endLine":3,"endColumn":17}}}]},
   {"ruleId":"python.lang.style.print","level":"warning","message":{"text":"print"},
    "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app.py"},"region":{"startLine":7}}}]},
   {"ruleId":"unknown.rule","message":{"text":"no level anywhere"},"locations":[]}]}]}`

func TestParseSARIF(t *testing.T) {
	found, err := external.ParseSARIF([]byte(semgrepSARIF))
	require.NoError(t, err)
	require.Equal(t, []scan.Finding{
		{Rule: "python.lang.security.eval", Message: "eval is dangerous", Line: 3, Column: 5, EndLine: 3, EndColumn: 17, Severity: "error"},
		{Rule: "python.lang.style.print", Message: "print", Line: 7, Severity: "warning"},
		{Rule: "unknown.rule", Message: "no level anywhere", Severity: "warning"},
	}, found)

	found, err = external.ParseSARIF([]byte("  \n"))
	require.NoError(t, err)
	require.Empty(t, found)
	_, err = external.ParseSARIF([]byte("Traceback (most recent call last):"))
	require.ErrorContains(t, err, "invalid SARIF")
}

// What bandit -f json and shellcheck -f json1 print (trimmed), read by the
// JSON parser.
func TestParseToolJSON(t *testing.T) {
	bandit := `{"errors":[],"results":[{"code":"3 eval(x)\n","col_offset":0,"filename":"/r/a.py","issue_confidence":"HIGH",
	  "issue_severity":"MEDIUM","issue_text":"Use of possibly insecure function","line_number":3,"line_range":[3],"test_id":"B307","test_name":"blacklist"}]}`
	found, err := external.Parse([]byte(bandit))
	require.NoError(t, err)
	require.Equal(t, []scan.Finding{{Rule: "B307", Message: "Use of possibly insecure function", Line: 3, Severity: "medium", Match: "3 eval(x)\n"}}, found)

	shellcheck := `{"comments":[{"file":"/r/run.sh","line":2,"endLine":2,"column":6,"endColumn":8,"level":"info","code":2086,
	  "message":"Double quote to prevent globbing and word splitting.","fix":null}]}`
	found, err = external.Parse([]byte(shellcheck))
	require.NoError(t, err)
	require.Equal(t, []scan.Finding{{Rule: "SC2086", Message: "Double quote to prevent globbing and word splitting.",
		Line: 2, Column: 6, EndLine: 2, EndColumn: 8, Severity: "info"}}, found)
}

// A tool with Shebang runs on scripts whose first line names one of its
// interpreters, by path or through env, as well as on its Include names.
func TestShebangSelectsScripts(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"run.sh":    "echo hi\n",
		"plain":     "#!/bin/sh\necho hi\n",
		"envbash":   "#!/usr/bin/env -S bash -e\necho hi\n",
		"python":    "#!/usr/bin/env python3\nprint()\n",
		"text":      "not a script\n",
		"emptyish":  "#!\n",
		"notes.txt": "#!/bin/sh\necho hi\n", // a name with an extension is known by it, as pre-commit knows files
		".profile":  "#!/bin/sh\necho hi\n", // a leading dot is no extension
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	shellcheck, ok := external.Preset("shellcheck")
	require.True(t, ok)
	tool := shellcheck
	tool.Command = []string{"true", "{}"} // what runs does not matter here
	sc := build(t, tool)
	want := map[string]bool{"run.sh": true, "plain": true, "envbash": true, ".profile": true}
	what, takes := external.Options{Tools: []external.Tool{tool}}.Filter()
	require.Equal(t, "shellcheck", what)
	for name := range files {
		_, err := sc.Scan(t.Context(), &scan.File{Root: dir, Path: name})
		_, skipped := scan.IsSkip(err)
		require.Equal(t, !want[name], skipped, name)
		require.Equal(t, want[name], takes(dir, name), "the parent's filter decides as the scanner does: %s", name)
	}
}

// Filter is what the parent deals files by: nil when a tool takes every
// file; a file it cannot read is taken, for the scanner to record why.
func TestFilter(t *testing.T) {
	bandit, _ := external.Preset("bandit")
	shellcheck, _ := external.Preset("shellcheck")
	all := external.Tool{Name: "all", Command: []string{"lint", "{}"}}
	what, takes := external.Options{Tools: []external.Tool{bandit, all}}.Filter()
	require.Nil(t, takes, "a tool without include or shebang takes every file")
	require.Empty(t, what)

	what, takes = external.Options{Tools: []external.Tool{bandit, shellcheck}}.Filter()
	require.Equal(t, "bandit or shellcheck", what)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.Symlink("/bin/sh", filepath.Join(dir, "escape")))
	cases := []struct {
		path  string
		takes bool
	}{
		{"app.py", true},   // by name, never opened (it does not exist)
		{"main.go", false}, // an extension no tool includes: never opened
		{"missing", true},  // no extension, cannot be read: the scanner says why
		{"escape", true},   // leads outside the root: not read here, the scanner refuses it
		{"sub/README.md", false},
	}
	for _, c := range cases {
		require.Equal(t, c.takes, takes(dir, c.path), c.path)
	}
	_, takes = external.FilterOf(external.Options{Tools: []external.Tool{shellcheck}}.Encode())
	require.NotNil(t, takes)
	_, takes = external.FilterOf([]byte("not json"))
	require.Nil(t, takes)
}

func TestPresets(t *testing.T) {
	require.Equal(t, []string{"bandit", "semgrep", "shellcheck"}, external.PresetNames())
	for _, p := range external.Presets() {
		if p.ConfigHelp != "" {
			err := external.Options{Tools: []external.Tool{p}}.Check()
			require.ErrorIs(t, err, external.ErrNoConfig, "%s cannot run without its value", p.Name)
			require.ErrorContains(t, err, "--tool "+p.Name+"=VALUE")
			p.Config = "rules.yml"
		}
		require.NoError(t, external.Options{Tools: []external.Tool{p}}.Check(), p.Name)
	}
	bandit, _ := external.Preset("bandit")
	bandit.Config = "x"
	require.ErrorIs(t, external.Options{Tools: []external.Tool{bandit}}.Check(), external.ErrConfigUnused)
	inside := external.Tool{Command: []string{"lint", "--rules={config}", "{}"}, Config: "x"}
	require.ErrorIs(t, external.Options{Tools: []external.Tool{inside}}.Check(), external.ErrConfigUnused, "{config} is a whole argument")
	a, _ := external.Preset("bandit")
	a.Include[0] = "changed"
	b, _ := external.Preset("bandit")
	require.Equal(t, "*.py", b.Include[0], "a preset handed out is a copy")

	// An [[exec]] table starts from a preset: by name with no command, or
	// by preset = NAME under a name of its own.
	tools, err := external.DecodeTools([]any{
		map[string]any{"name": "bandit", "timeout": "30s"},
		map[string]any{"name": "strict-bandit", "preset": "bandit", "ok_exit": []any{int64(0)}},
	})
	require.NoError(t, err)
	require.Equal(t, "bandit", tools[0].Name)
	require.Equal(t, b.Command, tools[0].Command)
	require.Equal(t, "strict-bandit", tools[1].Name)
	require.Equal(t, []int{0}, tools[1].OKExit)
	require.Equal(t, "json", tools[1].Format)
	_, err = external.DecodeTools([]any{map[string]any{"preset": "nope"}})
	require.ErrorContains(t, err, "known: bandit, semgrep, shellcheck")
	require.Error(t, external.Options{Tools: []external.Tool{{Command: []string{"x", "{}"}, Format: "xml"}}}.Check())
}
