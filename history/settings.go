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
	switch v := strings.ToLower(r.setting(ctx, "diff.renames")); v {
	case "false", "no", "off", "0":
		args = append(args, "--no-renames")
	case "copies", "copy":
		args = append(args, "-C")
	default:
		args = append(args, "-M")
	}
	switch v := strings.ToLower(r.setting(ctx, "diff.algorithm")); v {
	case "myers", "default", "minimal", "patience", "histogram":
		args = append(args, "--diff-algorithm="+v)
	}
	if n, err := strconv.Atoi(r.setting(ctx, "diff.interHunkContext")); err == nil && n > 0 {
		args = append(args, "--inter-hunk-context="+strconv.Itoa(n))
	}
	r.mu.Lock()
	r.diff = args
	r.mu.Unlock()
	return args
}

// setting is a value of the repository's configuration ("" if unset).
func (r *Reader) setting(ctx context.Context, key string) string {
	out, err := output(ctx, r.dir, 1024, "config", "--get", key)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
