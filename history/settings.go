package history

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// readerConfig bounds the memory of a reader's long-lived git: its cache
// of delta bases and its windows into packs. On a history of 15,000
// commits the defaults let one diff-tree grow to 170 MB; these hold it
// near 60 MB at the same speed (smaller windows cost it time in mmap).
var readerConfig = []string{"core.deltaBaseCacheLimit=16m", "core.packedGitLimit=32m", "core.packedGitWindowSize=8m"}

// diffArgs are the options of every patch the reader asks for: the base
// ones, and those the repository's diff settings give `git log -p`, which
// gitleaks runs and the plumbing forkscan runs does not read: whether
// renames (and copies) are found, the diff algorithm, and the context
// that joins near hunks. None of them runs anything; each changes which
// lines a patch shows as added, or on which line.
func (r *Reader) diffArgs(ctx context.Context) []string {
	r.mu.Lock()
	diff := r.diff
	r.mu.Unlock()
	if diff != nil {
		return diff
	}
	args := slices.Clone(baseDiffArgs)
	set := r.settings(ctx, `^diff\.(renames|algorithm|interhunkcontext)$`)
	switch v := strings.ToLower(set["diff.renames"]); v {
	case "false", "no", "off", "0":
		args = append(args, "--no-renames")
	case "copies", "copy":
		args = append(args, "-C")
	default:
		args = append(args, "-M")
	}
	switch v := strings.ToLower(set["diff.algorithm"]); v {
	case "myers", "default", "minimal", "patience", "histogram":
		args = append(args, "--diff-algorithm="+v)
	}
	if n, err := strconv.Atoi(set["diff.interhunkcontext"]); err == nil && n > 0 {
		args = append(args, "--inter-hunk-context="+strconv.Itoa(n))
	}
	r.mu.Lock()
	r.diff = args
	r.mu.Unlock()
	return args
}

// settings are the values of the repository's configuration whose
// names match pattern (a regular expression over names in lower case, as
// git config --get-regexp takes it), by name; the last value of a name
// wins, as git takes it.
func (r *Reader) settings(ctx context.Context, pattern string) map[string]string {
	out, _ := output(ctx, r.dir, 1<<16, "config", "--null", "--get-regexp", pattern) // none set: exit 1
	set := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if name, value, ok := strings.Cut(kv, "\n"); ok {
			set[name] = value
		}
	}
	return set
}
