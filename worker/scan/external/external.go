// Package external registers the "exec" scanner: it runs external tools —
// semgrep, bandit, shellcheck, a script of your own — over the files, many
// files per run as pre-commit runs them (a "{}" standing alone as an
// argument becomes as many files as fit the arguments budget), in
// forkscan's workers, with a time limit, a cap on how many run at once
// across the whole run, findings given back to the files they name, and
// failures sorted into forkscan's error categories, per file: a run that
// fails is split in halves and run again until the failing files are
// alone (see Scanner.ScanBatch). Its failures:
//
//   - the program cannot be found or run: TOOL_NOT_FOUND (or
//     PERMISSION_DENIED when it is not executable);
//   - it runs longer than its Timeout: TIMEOUT;
//   - it dies of a signal: PROCESS_CRASH;
//   - it exits with a status it is not allowed: TOOL_ERROR, with the end of
//     its stderr;
//   - it prints invalid JSON when JSON is expected: TOOL_ERROR, with the
//     first bytes it printed.
//
// A tool prints its findings as JSON (Parse), JSON lines, or SARIF 2.1.0
// (ParseSARIF), as its Format says. The tools forkscan knows by name
// (bandit, shellcheck, semgrep) are Presets: data, with their commands,
// formats, the files they apply to (by name, and by #! line), their ok
// exit codes, and the value a tool needs from its user (semgrep's rules:
// Tool.Config). The process that deals the files asks Options.Filter which
// files the tools take, and sends the scanner no other: a file no tool
// takes gets no record, only a count, as pre-commit runs a hook only on
// the files of its types.
//
// Each tool runs in its own process group, and the whole group is killed
// when the tool times out or its job is cancelled (a Ctrl-C, a job
// timeout), so a tool's own children do not outlive it. If its worker
// process dies, the kernel kills the tool too (the parent-death signal).
//
// Import it for its side effect:
//
//	import _ "github.com/forkscan/forkscan/worker/scan/external"
package external

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/worker/scan"
)

// Name is the scanner's registered name.
const Name = "exec"

// Placeholder is the argument text a Tool's Command has where the file's
// path goes.
const Placeholder = "{}"

// ConfigPlaceholder is the argument of a Tool's Command that stands for
// its Config, the value a user gives the tool (semgrep's rules). It must
// be a whole argument.
const ConfigPlaceholder = "{config}"

func init() {
	scan.Register(scan.Def{
		Name:     Name,
		Doc:      "external tools run on each file (--tool bandit, --exec-cmd 'tool --json {}', or [[exec]] tables in forkscan.toml)",
		Content:  false, // the tools read the files themselves
		Hash:     true,  // so that resume keeps a record of a file the tool saw as it is
		Settings: recordSettings,
		Batch:    maxBatch,
		NewWith: func(options []byte) (scan.Scanner, error) {
			var o Options
			if len(options) > 0 {
				if err := json.Unmarshal(options, &o); err != nil {
					return nil, fmt.Errorf("exec: options: %w", err)
				}
			}
			if err := o.Check(); err != nil {
				return nil, err
			}
			return &Scanner{tools: o.Tools}, nil
		},
	})
}

// Options configure the scanner: the tools it runs. The engine carries
// them to the workers as JSON (engine.Config.ScannerOptions["exec"]).
type Options struct {
	Tools []Tool `json:"tools"`
}

// Tool is one external command.
type Tool struct {
	// Name names the tool in findings ("NAME/rule") and errors, and its
	// semaphore ("exec:NAME"). If empty, the program's base name.
	Name string `json:"name,omitempty"`
	// Command is the program and its arguments; every argument equal to
	// or containing "{}" has it replaced by the file's path. At least one
	// argument must hold the placeholder. The program is looked up in PATH.
	Command []string `json:"command"`
	// Format is how the tool prints its findings on stdout: "json" (an
	// array, an object holding them, or JSON lines: see Parse), "jsonl"
	// (the same parser, said plainly), or "sarif" (a SARIF 2.1.0 log: see
	// ParseSARIF). If empty, a run reports its exit status and the start of
	// its output as data, and no findings.
	Format string `json:"format,omitempty"`
	// JSON is Format "json", as older configurations say it.
	JSON bool `json:"json,omitempty"`
	// OKExit lists the exit statuses that mean the tool ran (many tools exit
	// 1 when they found something). If empty, only 0.
	OKExit []int `json:"ok_exit,omitempty"`
	// Timeout bounds one run. If zero, only the job's own time limit does.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Limit caps how many runs of this tool go at once across every worker
	// process of the run, through the run-wide semaphore "exec:NAME". If
	// zero, no cap of the tool's own.
	Limit int64 `json:"limit,omitempty"`
	// Include, if not empty, runs the tool only on files whose base name
	// matches one of these shell patterns (filepath.Match): "*.py".
	Include []string `json:"include,omitempty"`
	// Shebang, if not empty, also runs the tool on files without an
	// extension whose first line is a "#!" line naming one of these
	// interpreters ("sh", "bash"), by path or through env: scripts
	// ("deploy"). A name with an extension is known by it alone.
	Shebang []string `json:"shebang,omitempty"`
	// PerFile says the tool takes one file per run. Otherwise, when the
	// placeholder stands alone as an argument, a run gets as many files as
	// the arguments budget allows (a placeholder inside an argument,
	// "--file={}", is one file per run either way).
	PerFile bool `json:"per_file,omitempty"`
	// Install says how to install the program, for the error of a run that
	// cannot find it ("apt-get install bandit"). If empty, the error says
	// only that it was not found.
	Install string `json:"install,omitempty"`
	// Config is the value the user gives a tool whose Command holds
	// ConfigPlaceholder: `--tool semgrep=RULES`, or config = "RULES" in
	// its [[exec]] table. Such a tool cannot run without one (Check says
	// ErrNoConfig); a tool without the placeholder takes none.
	Config string `json:"config,omitempty"`
	// ConfigHelp says what a tool's Config is, for the error of a tool
	// given none ("a semgrep rules file or directory").
	ConfigHelp string `json:"config_help,omitempty"`
}

// The formats a Tool's output may have.
var formats = []string{"", "json", "jsonl", "sarif"}

// format is the tool's output format, JSON folded in.
func (t Tool) format() string {
	if t.Format == "" && t.JSON {
		return "json"
	}
	return t.Format
}

// ErrNoPlaceholder is the error of a command without "{}".
var ErrNoPlaceholder = errors.New(`no "{}" placeholder for the file's path`)

// ErrNoConfig is the error of a tool whose command needs a Config and
// was given none (the semgrep preset without its rules).
var ErrNoConfig = errors.New("needs a value")

// ErrConfigUnused is the error of a Config given to a tool whose command
// has no ConfigPlaceholder to put it in.
var ErrConfigUnused = errors.New(`takes no value (its command has no "{config}")`)

// Check reports the first thing wrong with o, as an INVALID_INPUT
// *scan.Error naming the tool.
func (o Options) Check() error {
	if len(o.Tools) == 0 {
		return scan.Errorf(scan.InvalidInput, "exec: no tool configured (give --tool, --exec-cmd, or [[exec]] tables in the config)")
	}
	seen := map[string]bool{}
	for _, t := range o.Tools {
		name := t.name()
		switch {
		case len(t.Command) == 0 || t.Command[0] == "":
			return scan.Errorf(scan.InvalidInput, "exec: tool %q: empty command", name)
		case !slices.ContainsFunc(t.Command[1:], func(a string) bool { return strings.Contains(a, Placeholder) }):
			return scan.Errorf(scan.InvalidInput, "exec: tool %q: %q: %w", name, strings.Join(t.Command, " "), ErrNoPlaceholder)
		case !slices.Contains(formats, t.Format):
			return scan.Errorf(scan.InvalidInput, "exec: tool %q: format %q is not json, jsonl or sarif", name, t.Format)
		case t.Timeout < 0 || t.Limit < 0:
			return scan.Errorf(scan.InvalidInput, "exec: tool %q: negative timeout or limit", name)
		case seen[name]:
			return scan.Errorf(scan.InvalidInput, "exec: two tools named %q (give them names)", name)
		}
		if err := t.checkConfig(); err != nil {
			return scan.Errorf(scan.InvalidInput, "exec: tool %q %w", name, err)
		}
		for _, p := range t.Include {
			if _, err := filepath.Match(p, ""); err != nil {
				return scan.Errorf(scan.InvalidInput, "exec: tool %q: include pattern %q: %w", name, p, err)
			}
		}
		seen[name] = true
	}
	return nil
}

// checkConfig reports whether t's Config and its command agree: a
// command with ConfigPlaceholder has a Config, one without has none, and
// the placeholder is a whole argument.
func (t Tool) checkConfig() error {
	wants := slices.Contains(t.Command[1:], ConfigPlaceholder)
	switch {
	case !wants && slices.ContainsFunc(t.Command[1:], func(a string) bool { return strings.Contains(a, ConfigPlaceholder) }):
		return fmt.Errorf("%w: %q must be an argument of its own", ErrConfigUnused, ConfigPlaceholder)
	case wants && t.Config == "":
		help := cmp.Or(t.ConfigHelp, "its value")
		return fmt.Errorf("%w: give %s as --tool %s=VALUE, or config = \"VALUE\" in its [[exec]] table", ErrNoConfig, help, t.name())
	case !wants && t.Config != "":
		return ErrConfigUnused
	}
	return nil
}

func (t Tool) name() string {
	if t.Name != "" {
		return t.Name
	}
	if len(t.Command) == 0 {
		return ""
	}
	return filepath.Base(t.Command[0])
}

// Semaphore is the name of the run-wide semaphore that caps t.
func (t Tool) Semaphore() string { return "exec:" + t.name() }

// Encode returns o as the scanner reads its options.
func (o Options) Encode() []byte {
	b, _ := json.Marshal(o) // plain fields: cannot fail
	return b
}

// Scanner runs the configured tools on each file, one after the other.
type Scanner struct {
	tools []Tool
}

// Scan runs every tool that takes f (Include, Shebang). The record is an
// error if one of them failed (the first failure's category, naming the
// tool), and otherwise holds every tool's findings. A file no tool takes
// is skipped; Options.Filter keeps such files from the scanner, so in a
// forkscan scan it sees one only if its first line changed between the
// two looks.
func (s *Scanner) Scan(ctx context.Context, f *scan.File) (scan.Report, error) {
	var rep scan.Report
	runs := map[string]any{}
	ran := false
	name := f.Name()
	var head string
	if s.mayRun(name) {
		var err error
		if head, err = look(f); err != nil {
			return scan.Report{}, err
		}
	}
	for _, t := range s.tools {
		if !t.wants(name, head) {
			continue
		}
		ran = true
		out, err := t.run(ctx, []string{name})
		if err != nil {
			return scan.Report{}, err
		}
		rep.Findings = append(rep.Findings, out[0].findings...)
		runs[t.name()] = out[0].data
	}
	if !ran {
		return scan.Report{}, scan.Skip("no exec tool includes this file")
	}
	rep.Data = runs
	return rep, nil
}

// look opens f as the tools will, just before they run, and returns its
// first line: a file whose path now leads outside its root (a symlink
// swapped in since the walk), or that is no longer a regular file, is
// skipped, never handed to a tool. A tool opens the files it is given by
// their names, itself: what it reads is checked here, at the last moment
// forkscan can check it, not at the moment of its own open (see the
// README's "What a scanned tree can do").
func look(f *scan.File) (string, error) {
	file, err := f.Open()
	var pe *fs.PathError
	switch {
	case errors.Is(err, beneath.ErrOutside):
		return "", scan.Skip("refused: its path leads outside the scanned root")
	case errors.Is(err, beneath.ErrNotRegular) && errors.As(err, &pe):
		return "", scan.Skip(pe.Err.Error()) // "not a regular file (named pipe)"
	case err != nil:
		return "", scan.AsError(err)
	}
	defer file.Close()
	head := make([]byte, 128)
	n, _ := io.ReadFull(file, head)
	line, _, _ := strings.Cut(string(head[:n]), "\n")
	return line, nil
}

// mayRun reports whether a tool may run on the file called path: one
// includes its name, or picks files by their #! line and the name has no
// extension.
func (s *Scanner) mayRun(path string) bool {
	return Options{Tools: s.tools}.mayTake(path)
}

// wants reports whether t runs on the file called path whose first line
// is head: its name matches Include, or it has no extension and head is a
// #! line naming an interpreter of Shebang. A name with an extension is
// known by it, as pre-commit's identify knows files: a "notes.txt" that
// begins "#!/bin/sh" is text, and only names without an extension have
// their first line looked at.
func (t Tool) wants(path, head string) bool {
	if len(t.Include) == 0 && len(t.Shebang) == 0 {
		return true
	}
	base := filepath.Base(path)
	for _, p := range t.Include {
		if ok, _ := filepath.Match(p, base); ok {
			return true
		}
	}
	return t.byShebang(base) && slices.Contains(t.Shebang, interpreter(head))
}

// byShebang reports whether t picks the file called base by its #! line:
// t has Shebang, and base has no extension (a leading dot is not one).
func (t Tool) byShebang(base string) bool {
	return len(t.Shebang) > 0 && !strings.Contains(strings.TrimLeft(base, "."), ".")
}

// interpreter returns the base name of the interpreter a "#!" first line
// names ("sh" for "#!/bin/sh", "bash" for "#!/usr/bin/env bash"); "" when
// it is not one.
func interpreter(line string) string {
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return ""
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return ""
	}
	name := filepath.Base(fields[0])
	if name == "env" {
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "-") {
				return filepath.Base(f)
			}
		}
		return ""
	}
	return name
}
