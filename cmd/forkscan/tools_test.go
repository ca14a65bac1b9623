package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/record"
)

// hit is one finding as (file, line, rule): what a tool and forkscan must
// agree on.
type hit struct {
	file string
	line int
	rule string
}

// forkscanHits runs the CLI with args over root and returns its findings
// of tool, the tool's prefix taken off the rule.
func forkscanHits(t *testing.T, tool, root string, args ...string) []hit {
	t.Helper()
	hits, _, _ := forkscanRun(t, tool, root, args...)
	return hits
}

// forkscanRun is forkscanHits with the paths that got a record and the
// summary.
func forkscanRun(t *testing.T, tool, root string, args ...string) (hits []hit, paths []string, summary string) {
	t.Helper()
	code, out, errOut := cli(t, append(append([]string{"scan", "--format", "jsonl", "-w", "2"}, args...), root)...)
	require.Contains(t, []int{exitOK, exitFindings}, code, errOut)
	for _, r := range records(t, out) {
		require.NotEqual(t, "error", r.Status.String(), "%+v", r)
		paths = append(paths, r.Path)
		for _, f := range r.Findings {
			hits = append(hits, hit{r.Name(), f.Line, strings.TrimPrefix(f.Rule, tool+"/")})
		}
	}
	slices.Sort(paths)
	return sorted(hits), paths, errOut
}

func sorted(hits []hit) []hit {
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line), strings.Compare(a.rule, b.rule))
	})
	return hits
}

// With the bandit preset, forkscan finds what `bandit -r` finds on the
// same tree: the same files, lines and tests, file names with spaces and
// a leading dash included.
func TestBanditPresetFindsWhatBanditFinds(t *testing.T) {
	bandit := realtool.Need(t, "bandit")
	root := t.TempDir()
	write(t, filepath.Join(root, "app.py"), "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n    return eval(cmd)\n")
	write(t, filepath.Join(root, "pkg", "db.py"), "password = 'hunter2'\nassert password\n")
	write(t, filepath.Join(root, "dir with space", "-dash.py"), "import pickle\n\ndef load(b):\n    return pickle.loads(b)\n")
	write(t, filepath.Join(root, "clean.py"), "def add(a, b):\n    return a + b\n")
	write(t, filepath.Join(root, "notes.txt"), "eval(x)\n")

	want := banditHits(t, bandit, root)
	require.GreaterOrEqual(t, len(want), 5, "the tree gives bandit something to find")
	require.Contains(t, want, hit{filepath.Join(root, "app.py"), 4, "B602"}, "subprocess with shell=True: the finding bandit is known for")
	got, paths, summary := forkscanRun(t, "bandit", root, "-s", "exec", "--tool", "bandit")
	require.Equal(t, sorted(want), got)
	require.Equal(t, []string{"app.py", "clean.py", "dir with space/-dash.py", "pkg/db.py"}, paths, "notes.txt is not for bandit: no record")
	require.Contains(t, summary, "forkscan: 1 file not for bandit (no record for them)\n")
}

// With the shellcheck preset, forkscan finds what shellcheck -f json1
// finds over the same files: shell scripts by extension and by shebang.
func TestShellcheckPresetFindsWhatShellcheckFinds(t *testing.T) {
	shellcheck := realtool.Need(t, "shellcheck")
	root := t.TempDir()
	write(t, filepath.Join(root, "build.sh"), "#!/bin/sh\nrm -rf $1/*\necho `date`\n")
	write(t, filepath.Join(root, "bin", "deploy"), "#!/usr/bin/env bash\nfor f in $(ls); do echo $f; done\n")
	write(t, filepath.Join(root, "bin", "tool.py"), "#!/usr/bin/env python3\nprint('not shell')\n")
	write(t, filepath.Join(root, "README"), "cd $HOME\n")
	write(t, filepath.Join(root, ".shellcheckrc"), "disable=SC2086\nexternal-sources=true\n") // the tree's: not read

	scripts := []string{filepath.Join(root, "build.sh"), filepath.Join(root, "bin", "deploy")}
	want := shellcheckHits(t, shellcheck, scripts)
	require.GreaterOrEqual(t, len(want), 3)
	require.Contains(t, want, hit{filepath.Join(root, "build.sh"), 2, "SC2086"}, "the tree's .shellcheckrc does not silence it")
	got, paths, summary := forkscanRun(t, "shellcheck", root, "-s", "exec", "--tool", "shellcheck")
	require.Equal(t, sorted(want), got)
	require.Equal(t, []string{"bin/deploy", "build.sh"}, paths, "no record for what is not a shell script")
	require.Contains(t, summary, "forkscan: 3 files not for shellcheck (no record for them)\n") // tool.py, README, .shellcheckrc
}

// A tool that does not apply to a file leaves no record for it: over a
// tree of 3 scripts among 150 other files, `--tool shellcheck` writes 3
// records and counts the rest once, in the summary. A resume does not
// send those files to be scanned again (no record names them, and the
// filter is asked again rather than the output), and a file that became
// a script since is taken.
func TestToolLeavesNoRecordForFilesNotForIt(t *testing.T) {
	realtool.Need(t, "shellcheck")
	root := t.TempDir()
	write(t, filepath.Join(root, "build.sh"), "#!/bin/sh\necho $1\n")
	write(t, filepath.Join(root, "lib", "util.bash"), "greet() { echo \"hi $1\"; }\n")
	write(t, filepath.Join(root, "bin", "deploy"), "#!/usr/bin/env bash\necho ok\n")
	for i := range 50 {
		write(t, filepath.Join(root, "src", fmt.Sprintf("f%02d.go", i)), "package src\n")
		write(t, filepath.Join(root, "doc", fmt.Sprintf("n%02d.txt", i)), "#!/bin/sh\nnot a script: a name with an extension is known by it\n")
		write(t, filepath.Join(root, "data", fmt.Sprintf("DATA%02d", i)), "no #! line\n")
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	scan := func(args ...string) (map[string]record.Record, string) {
		t.Helper()
		code, _, errOut := cli(t, append(append([]string{"scan", "-s", "exec", "--tool", "shellcheck", "-w", "2", "-o", out}, args...), root)...)
		require.Equal(t, exitFindings, code, errOut)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		return records(t, string(b)), errOut
	}
	scripts := []string{"bin/deploy|exec", "build.sh|exec", "lib/util.bash|exec"}

	got, summary := scan()
	require.ElementsMatch(t, scripts, slices.Collect(maps.Keys(got)), "a record for each script, none for the other 150 files")
	for _, r := range got {
		require.Equal(t, "ok", r.Status.String(), "%+v", r)
	}
	require.Contains(t, summary, "forkscan: 3 files, 3 results (3 ok, 0 error, 0 skipped)")
	require.Contains(t, summary, "forkscan: 150 files not for shellcheck (no record for them)\n")

	got, summary = scan("--resume")
	require.ElementsMatch(t, scripts, slices.Collect(maps.Keys(got)))
	jobs := sentToScan(t, summary)
	require.LessOrEqual(t, jobs, len(scripts), "the files not for shellcheck are not sent again: %s", summary)
	m := regexp.MustCompile(`\((\d+) files not scanned again`).FindStringSubmatch(summary)
	require.NotNil(t, m, summary)
	kept, _ := strconv.Atoi(m[1])
	require.LessOrEqual(t, kept, len(scripts), "nor counted as kept from the output, which does not name them")
	require.Contains(t, summary, "forkscan: 150 files not for shellcheck (no record for them)\n")

	write(t, filepath.Join(root, "data", "DATA00"), "#!/bin/sh\necho $1\n")
	got, summary = scan("--resume")
	require.ElementsMatch(t, append(scripts, "data/DATA00|exec"), slices.Collect(maps.Keys(got)), "a file that became a script is taken")
	require.Contains(t, summary, "forkscan: 149 files not for shellcheck (no record for them)\n")
}

// sentToScan is how many files the summary's first line says were sent
// to be scanned.
func sentToScan(t *testing.T, summary string) int {
	t.Helper()
	m := regexp.MustCompile(`forkscan: (?:this run: )?(\d+) files?, `).FindStringSubmatch(summary)
	require.NotNil(t, m, summary)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// The semgrep preset runs semgrep offline on the rules the user names
// (`--tool semgrep=RULES`): semgrep refuses --config auto with --metrics
// off, and auto fetches rules from the network anyway. semgrep cannot be
// installed here (PyPI is out of reach), so a stand-in on PATH records
// the command line it is given and prints an empty SARIF log.
func TestSemgrepPresetCommand(t *testing.T) {
	bin, logDir := t.TempDir(), t.TempDir()
	log := filepath.Join(logDir, "argv")
	write(t, filepath.Join(bin, "semgrep"), fmt.Sprintf(`#!/bin/sh
printf '%%s\n' "$@" >> %q
printf -- '--\n' >> %q
echo '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"semgrep"}},"results":[]}]}'
`, log, log))
	require.NoError(t, os.Chmod(filepath.Join(bin, "semgrep"), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	root := t.TempDir()
	write(t, filepath.Join(root, "app.py"), "eval(x)\n")
	write(t, filepath.Join(root, "web.js"), "eval(x)\n")
	rules := filepath.Join(t.TempDir(), "rules.yml")
	write(t, rules, "rules: []\n")

	code, out, errOut := cli(t, "scan", "-s", "exec", "--tool", "semgrep="+rules, "-w", "1", "--format", "jsonl", root)
	require.Equal(t, exitOK, code, errOut)
	require.Len(t, records(t, out), 2)
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	runs := strings.Split(strings.TrimSuffix(string(b), "--\n"), "--\n")
	require.Len(t, runs, 1, "one run takes both files")
	argv := strings.Split(strings.TrimSuffix(runs[0], "\n"), "\n")
	require.Equal(t, []string{"scan", "--sarif", "--quiet", "--metrics", "off", "--disable-version-check", "--config", rules}, argv[:8])
	require.ElementsMatch(t, []string{filepath.Join(root, "app.py"), filepath.Join(root, "web.js")}, argv[8:])
	require.NotContains(t, argv, "auto")

	// In the config file: config = "RULES", relative to the file's directory.
	require.NoError(t, os.Remove(log))
	confDir := t.TempDir()
	write(t, filepath.Join(confDir, "semgrep-rules.yml"), "rules: []\n")
	write(t, filepath.Join(confDir, "forkscan.toml"), "[[exec]]\nname = \"semgrep\"\nconfig = \"semgrep-rules.yml\"\n")
	code, _, errOut = cli(t, "scan", "-s", "exec", "--config", filepath.Join(confDir, "forkscan.toml"), "-w", "1", "--format", "jsonl", root)
	require.Equal(t, exitOK, code, errOut)
	b, err = os.ReadFile(log)
	require.NoError(t, err)
	require.Contains(t, string(b), "--config\n"+filepath.Join(confDir, "semgrep-rules.yml")+"\n")
	require.NoError(t, os.Remove(log))
	write(t, filepath.Join(confDir, "forkscan.toml"), "scanner = [\"exec\"]\ntool = [\"semgrep=semgrep-rules.yml\"]\n")
	code, _, errOut = cli(t, "scan", "--config", filepath.Join(confDir, "forkscan.toml"), "-w", "1", "--format", "jsonl", root)
	require.Equal(t, exitOK, code, errOut)
	b, err = os.ReadFile(log)
	require.NoError(t, err)
	require.Contains(t, string(b), "--config\n"+filepath.Join(confDir, "semgrep-rules.yml")+"\n", "tool = [\"semgrep=RULES\"]: from the config file's directory")

	code, _, errOut = cli(t, "scan", "-s", "exec", "--tool", "semgrep", root)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, `tool "semgrep" needs a value: give its rules (a file or a directory of them) as --tool semgrep=VALUE`)

	code, out, _ = cli(t, "tools")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "--config {config} {}")
	require.Contains(t, out, "semgrep needs its rules (a file or a directory of them) for {config}: --tool semgrep=VALUE")
}

// banditHits runs `bandit -r` over root, as its users run it, and
// returns its findings.
func banditHits(tb testing.TB, bandit, root string) []hit {
	tb.Helper()
	var report struct {
		Results []struct {
			Filename string `json:"filename"`
			Line     int    `json:"line_number"`
			TestID   string `json:"test_id"`
		} `json:"results"`
	}
	toolReport(tb, exec.Command(bandit, "-q", "-r", "-f", "json", root), &report)
	var hits []hit
	for _, r := range report.Results {
		hits = append(hits, hit{r.Filename, r.Line, r.TestID})
	}
	return sorted(hits)
}

// shellcheckHits runs one shellcheck over scripts and returns its
// findings.
func shellcheckHits(tb testing.TB, shellcheck string, scripts []string) []hit {
	tb.Helper()
	var report struct {
		Comments []struct {
			File string `json:"file"`
			Line int    `json:"line"`
			Code int    `json:"code"`
		} `json:"comments"`
	}
	toolReport(tb, exec.Command(shellcheck, append([]string{"--norc", "-f", "json1"}, scripts...)...), &report)
	var hits []hit
	for _, c := range report.Comments {
		hits = append(hits, hit{c.File, c.Line, fmt.Sprintf("SC%d", c.Code)})
	}
	return sorted(hits)
}

// toolReport runs cmd, a tool that exits 1 when it found something, and
// decodes the JSON it printed into report.
func toolReport(tb testing.TB, cmd *exec.Cmd, report any) {
	tb.Helper()
	out, err := cmd.Output()
	if e, ok := err.(*exec.ExitError); ok && e.ExitCode() == 1 {
		err = nil
	}
	if err == nil {
		err = json.Unmarshal(out, report)
	}
	if err != nil {
		tb.Fatalf("%s: %v", cmd, err)
	}
}
