package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The command that carries an interrupted run on: the one given, with
// --resume once, its words quoted for a shell where they need it.
func TestCarryOnCommand(t *testing.T) {
	cases := []struct {
		name   string
		line   []string
		output string
		format string
		want   string
	}{
		{"the same command with --resume", []string{"scan", "-s", "secrets", "-o", "out.jsonl", "src", "lib"}, "out.jsonl", "jsonl",
			"to carry on: forkscan scan --resume -s secrets -o out.jsonl src lib"},
		{"--resume said once", []string{"scan", "-o", "o", "--resume", ".", "--resume=true"}, "o", "jsonl",
			"to carry on: forkscan scan --resume -o o ."},
		{"a history", []string{"git", "--log-opts", "main~10..main", "-o", "h.jsonl"}, "h.jsonl", "jsonl",
			"to carry on: forkscan git --resume --log-opts main~10..main -o h.jsonl"},
		{"words quoted for a shell", []string{"scan", "-o", "my out.jsonl", "it's", "$HOME", ""}, "my out.jsonl", "jsonl",
			`to carry on: forkscan scan --resume -o 'my out.jsonl' 'it'\''s' '$HOME' ''`},
		{"no file: what is needed", []string{"scan", "."}, "", "text",
			"to carry on where a run stops, its records must go to a file: forkscan scan -o FILE ... (then --resume -o FILE)"},
		{"stdout named", []string{"git", "-o", "-"}, "-", "jsonl",
			"to carry on where a run stops, its records must go to a file: forkscan git -o FILE ... (then --resume -o FILE)"},
		{"a file that is not JSON lines", []string{"scan", "--format", "sarif", "-o", "x.sarif", "."}, "x.sarif", "sarif",
			"this run cannot be carried on: --resume reads JSON lines, and x.sarif is sarif (--format jsonl)"},
		{"nothing to carry on", []string{"git", "--staged"}, "o", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, scanFlags{line: c.line, output: c.output}.carryOn(c.format))
		})
	}
}

// An interrupted run says how to carry on, whatever its output: the
// command, or what it needed.
func TestInterruptSaysHowToCarryOn(t *testing.T) {
	root, args := sluggishTree(t, 400)
	dir := t.TempDir()
	prior := filepath.Join(dir, "prior.jsonl")
	require.NoError(t, os.WriteFile(prior, nil, 0o644))
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"to stdout", []string{root}, "forkscan: to carry on where a run stops, its records must go to a file: forkscan scan -o FILE ... (then --resume -o FILE)\n"},
		{"to SARIF", []string{"--format", "sarif", "-o", filepath.Join(dir, "x.sarif"), root},
			"forkscan: this run cannot be carried on: --resume reads JSON lines, and " + filepath.Join(dir, "x.sarif") + " is sarif (--format jsonl)\n"},
		{"a resumed run", []string{"--resume", "-o", prior, root},
			"forkscan: to carry on: forkscan scan --resume " + strings.Join(args[1:], " ") + " -o " + prior + " " + root + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marks := t.TempDir()
			t.Setenv(marksEnv, marks)
			p := startCLI(t, append(args, c.args...)...)
			waitForMarks(t, marks, 2)
			p.interrupt(t, syscall.SIGINT)
			require.Equal(t, exitInterrupted, p.cmd.ProcessState.ExitCode(), p.stderr.String())
			errOut := p.stderr.String()
			require.Contains(t, errOut, "forkscan: interrupted: ")
			require.True(t, strings.HasSuffix(errOut, c.says), "the summary ends saying how to carry on:\n%s", errOut)
			p.requireNothingLeft(t, nil)
		})
	}
}
