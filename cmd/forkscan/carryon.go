package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/output"
)

// carryOn is what the summary of an interrupted run says of going on, as
// git says what to type after a stopped rebase: the command that carries
// the run on (the one given, with --resume), or, when its records went
// where --resume cannot read them, what it would have needed. format is
// the run's output format; empty when the run cannot be resumed at all
// (changes not yet committed are scanned whole).
func (f scanFlags) carryOn(format string) string {
	sub := slices.IndexFunc(f.line, func(a string) bool { return a == "scan" || a == "git" })
	switch {
	case format == "" || sub < 0:
		return ""
	case f.output == "" || f.output == "-":
		return fmt.Sprintf("to carry on where a run stops, its records must go to a file: forkscan %s -o FILE ... (then --resume -o FILE)", f.line[sub])
	case format != output.JSONL:
		return fmt.Sprintf("this run cannot be carried on: --resume reads JSON lines, and %s is %s (--format jsonl)", f.output, format)
	}
	cmd := append([]string{"forkscan"}, f.line[:sub+1]...)
	cmd = append(cmd, "--resume")
	for _, a := range f.line[sub+1:] {
		if a != "--resume" && !strings.HasPrefix(a, "--resume=") {
			cmd = append(cmd, a)
		}
	}
	for i, a := range cmd {
		cmd[i] = shellQuote(a)
	}
	return "to carry on: " + strings.Join(cmd, " ")
}

// shellSafe are the words a POSIX shell reads as they are (a ~ but
// first: main~10..main).
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@%+-][A-Za-z0-9_./:=,@%+~-]*$`)

// shellQuote is s as a POSIX shell word: as it is when nothing in it is
// special, else in single quotes (a single quote in it closed, escaped and
// reopened).
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
