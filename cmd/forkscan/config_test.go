package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigFile(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "a SECRET\n")
	write(t, filepath.Join(root, "b.log"), "a SECRET\n")
	mine := filepath.Join(t.TempDir(), "forkscan.toml")
	write(t, mine, `
scanner = ["flagger", "inventory"]
exclude = ["*.log"]
format  = "text"
workers = 1
`)
	code, out, errOut := cli(t, "scan", "--config", mine, root)
	require.Equal(t, exitFindings, code, errOut)
	require.Equal(t, filepath.Join(root, "a.txt")+"\n  1  secret-word\n", out, "--config sets the scanners, filters and format")
	require.Contains(t, errOut, "1 worker process;")

	code, out, errOut = cli(t, "scan", "--config", mine, "--format", "jsonl", "-s", "inventory", root)
	require.Equal(t, exitOK, code, errOut)
	require.Len(t, records(t, out), 1, "flags win over the file; the file's exclude still holds")

	// The root's own forkscan.toml says which of its files are scanned,
	// and nothing else.
	write(t, filepath.Join(root, "forkscan.toml"), "exclude = [\"*.log\", \"forkscan.toml\"]\nscanner = [\"flagger\"]\n")
	code, out, errOut = cli(t, "scan", "-s", "inventory", root)
	require.Equal(t, exitOK, code, errOut)
	require.Len(t, records(t, out), 1, "the tree's exclude holds")
	require.Contains(t, errOut, "ignored: scanner")

	other := filepath.Join(t.TempDir(), "other.toml")
	write(t, other, "scanner = [\"inventory\"]\nno-ignore = true\n")
	code, out, errOut = cli(t, "scan", "--config", other, root)
	require.Equal(t, exitOK, code, errOut)
	require.Len(t, records(t, out), 3, "--config replaces the root's file")
}

func TestConfigFileExecTools(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.py"), "x = 1\n")
	write(t, filepath.Join(root, "b.md"), "# b\n")
	tool := script(t, "py-check", `echo '[{"rule":"py","line":1,"message":"'"$(basename "$1")"'"}]'; exit 1`)
	config := filepath.Join(t.TempDir(), "forkscan.toml")
	write(t, config, `
scanner = ["exec"]

[[exec]]
name    = "pycheck"
command = "`+tool+` {}"
json    = true
ok_exit = [0, 1]
include = ["*.py"]
timeout = "10s"
limit   = 1
`)
	code, out, errOut := cli(t, "scan", "--config", config, root)
	require.Equal(t, exitFindings, code, errOut)
	got := records(t, out)
	require.Equal(t, "pycheck/py", got["a.py|exec"].Findings[0].Rule)
	require.Equal(t, "a.py", got["a.py|exec"].Findings[0].Message)
	require.NotContains(t, got, "b.md|exec", "a file no tool takes gets no record")
	require.Contains(t, errOut, "forkscan: 1 file not for pycheck (no record for them)")
	require.Contains(t, errOut, "semaphore exec:pycheck: capacity 1")
}

func TestBadConfigFile(t *testing.T) {
	cases := []struct{ name, body, says string }{
		{"not toml", "workers = [", "forkscan.toml"},
		{"unknown key", "wrokers = 2\n", `unknown setting "wrokers"`},
		{"bad value", "workers = \"many\"\n", "workers"},
		{"bad exec key", "[[exec]]\ncommand = \"x {}\"\nshell = true\n", `unknown key "shell"`},
		{"exec not tables", "exec = 3\n", "array of tables"},
		{"exec without placeholder", "[[exec]]\ncommand = \"x --all\"\n", `no "{}" placeholder`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := filepath.Join(t.TempDir(), "forkscan.toml")
			write(t, config, c.body)
			code, _, errOut := cli(t, "scan", "--config", config, t.TempDir())
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, c.says)
		})
	}
	code, _, errOut := cli(t, "scan", "--config", filepath.Join(t.TempDir(), "none.toml"), t.TempDir())
	require.Equal(t, exitUsage, code)
	require.True(t, strings.Contains(errOut, "--config") && strings.Contains(errOut, "none.toml"), errOut)
}
