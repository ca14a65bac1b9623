package main

import (
	"fmt"
	"io"
	"strings"
)

// notices are what the CLI says on stderr of the settings files it read,
// before a run: a person sees which files chose how their scan runs, and
// which settings of a scanned tree's own forkscan.toml were not taken.
// The zero value is ready; a nil one says nothing.
type notices struct {
	lines []string
}

// read notes that files of settings of the kind what were read.
func (n *notices) read(what string, files ...string) {
	if n == nil || len(files) == 0 {
		return
	}
	n.lines = append(n.lines, fmt.Sprintf("%s from %s", what, strings.Join(files, ", ")))
}

// treeConfig notes that the forkscan.toml of a scanned tree was read, and
// which of its settings were not taken.
func (n *notices) treeConfig(path string, ignored []string) {
	if n == nil {
		return
	}
	line := fmt.Sprintf("settings from %s, in the scanned tree: only %s taken from there", path, strings.Join(treeKeys, ", "))
	if len(ignored) > 0 {
		line += fmt.Sprintf("; ignored: %s (put them in a --config FILE of yours, or on the command line)", strings.Join(ignored, ", "))
	}
	n.lines = append(n.lines, line)
}

// print writes the notices, a line each.
func (n *notices) print(w io.Writer) {
	if n == nil {
		return
	}
	for _, l := range n.lines {
		fmt.Fprintf(w, "forkscan: %s\n", l)
	}
}
