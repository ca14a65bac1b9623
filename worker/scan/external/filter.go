package external

import (
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/beneath"
)

// headSize is how much of a file is read for its #! line.
const headSize = 128

// Filter says which files the tools of o run on, for the process that
// deals the files out, so that a file no tool takes is never sent to the
// exec scanner and gets no record from it, only a count (a `--tool
// shellcheck` over Go's sources takes 33 scripts of 15,036 files; a
// skipped record for each of the others would be noise). what names the
// tools for that count ("shellcheck", "bandit or shellcheck"); takes is
// nil when some tool runs on every file.
//
// takes decides as the scanner does (Scan, ScanBatch): by the file's name
// (Include), and, only for a name without an extension when a tool has
// Shebang, by its first line, read (128 bytes) beneath root as the
// workers open files: a path that leads out of root, a FIFO or a device
// is never read. A file whose first line cannot be read is taken, so
// that the scanner records why.
func (o Options) Filter() (what string, takes func(root, path string) bool) {
	var names []string
	for _, t := range o.Tools {
		if len(t.Include) == 0 && len(t.Shebang) == 0 {
			return "", nil
		}
		names = append(names, t.name())
	}
	return strings.Join(names, " or "), o.takes
}

// FilterOf is Filter of the options as the scanner reads them
// (Options.Encode): what and takes are empty for options that do not
// decode, which the scanner refuses anyway.
func FilterOf(options []byte) (what string, takes func(root, path string) bool) {
	var o Options
	if json.Unmarshal(options, &o) != nil || len(o.Tools) == 0 {
		return "", nil
	}
	return o.Filter()
}

// takes is Filter's takes.
func (o Options) takes(root, path string) bool {
	if !o.mayTake(path) {
		return false
	}
	if slices.ContainsFunc(o.Tools, func(t Tool) bool { return t.wants(path, "") }) {
		return true
	}
	head, ok := firstLine(root, path)
	return !ok || slices.ContainsFunc(o.Tools, func(t Tool) bool { return t.wants(path, head) })
}

// mayTake reports whether a tool of o may run on the file called path
// without reading it: one includes its name, or picks it by its #! line.
func (o Options) mayTake(path string) bool {
	base := filepath.Base(path)
	return slices.ContainsFunc(o.Tools, func(t Tool) bool { return t.byShebang(base) || t.wants(path, "") })
}

// firstLine reads the first line of the file at path beneath root (path
// alone when root is empty); ok is false when it cannot be read.
func firstLine(root, path string) (line string, ok bool) {
	var f *beneath.File
	var err error
	if root == "" {
		f, err = beneath.OpenFile(path)
	} else {
		var d *beneath.Dir
		if d, err = beneath.OpenDir(root); err != nil {
			return "", false
		}
		f, err = d.Open(path)
		_ = d.Close()
	}
	if err != nil {
		return "", false
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && n == 0 && err != io.EOF {
		return "", false
	}
	line, _, _ = strings.Cut(string(head[:n]), "\n")
	return line, true
}
