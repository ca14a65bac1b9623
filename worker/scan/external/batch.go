package external

import (
	"context"
	"errors"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/worker/scan"
)

var (
	_ scan.BatchScanner = (*Scanner)(nil)
	_ scan.BatchSizer   = (*Scanner)(nil)
	_ scan.Hasher       = (*Scanner)(nil)
)

// Hashes reports whether a tool may be handed f (scan.Hasher): one
// includes its name, or picks files by their #! line. The worker hashes
// only those.
func (s *Scanner) Hashes(f *scan.File) bool { return s.mayRun(f.Name()) }

// maxBatch is the most files the exec scanner takes in one ScanBatch
// call; the arguments budget (argBudget) splits a call into as many runs
// of a tool as its files need.
const maxBatch = 1024

// ScanBatch runs every tool on the files it wants, as few times as the
// arguments budget allows (each alone for a tool that takes one file:
// PerFile, or a placeholder inside an argument). A run that fails is split
// in halves and each half run again, until the failing files are alone:
// they get the failure, the others their findings (see runSplit). Each
// file's outcome is what Scan would have made of it.
func (s *Scanner) ScanBatch(ctx context.Context, files []*scan.File) []scan.Outcome {
	names := make([]string, len(files))
	heads := make([]string, len(files))
	outs := make([]scan.Outcome, len(files))
	for k, f := range files {
		if names[k] = f.Name(); s.mayRun(names[k]) {
			heads[k], outs[k].Err = look(f)
		}
	}
	runs := make([]map[string]any, len(files))
	for _, t := range s.tools {
		var want []int
		for k, n := range names {
			if outs[k].Err == nil && t.wants(n, heads[k]) {
				want = append(want, k)
			}
		}
		for _, part := range t.parts(want, names) {
			for j, r := range t.runSplit(ctx, pick(names, part)) {
				k := part[j]
				if r.err != nil {
					outs[k] = scan.Outcome{Err: r.err}
					continue
				}
				outs[k].Report.Findings = append(outs[k].Report.Findings, r.findings...)
				if runs[k] == nil {
					runs[k] = map[string]any{}
				}
				runs[k][t.name()] = r.data
			}
		}
	}
	for k := range outs {
		switch {
		case outs[k].Err != nil:
		case runs[k] == nil:
			outs[k].Err = scan.Skip("no exec tool includes this file")
		default:
			outs[k].Report.Data = runs[k]
		}
	}
	return outs
}

// splitRun is a file's share of runSplit: what a run found in it, or the
// failure it was left with.
type splitRun struct {
	fileRun
	err error
}

// runSplit runs t on names; if the run fails and has more than one file,
// it runs each half again, and so on, so that only the files that fail
// alone get the failure. A cancelled job is not split: every file gets
// its error. A tool whose findings name no file runs each file alone. A batch of n files with one file that fails costs at most
// 1 + 2·log2(n) runs; with every file failing, 2n−1.
func (t Tool) runSplit(ctx context.Context, names []string) []splitRun {
	found, err := t.run(ctx, names)
	if err == nil {
		out := make([]splitRun, len(names))
		for i, f := range found {
			out[i].fileRun = f
		}
		return out
	}
	if len(names) == 1 || ctx.Err() != nil {
		out := make([]splitRun, len(names))
		for i := range out {
			out[i].err = err
		}
		return out
	}
	if errors.Is(err, errUnnamed) { // halves would fail the same way
		var out []splitRun
		for _, n := range names {
			out = append(out, t.runSplit(ctx, []string{n})...)
		}
		return out
	}
	half := len(names) / 2
	return append(t.runSplit(ctx, names[:half]), t.runSplit(ctx, names[half:])...)
}

// BatchMost is the most files a call of ScanBatch takes: 1 when no tool
// takes more than one file per run, so that the worker's tasks run the
// files side by side instead (scan.BatchSizer).
func (s *Scanner) BatchMost() int {
	if slices.ContainsFunc(s.tools, Tool.batchable) {
		return maxBatch
	}
	return 1
}

// batchable reports whether t takes many files in one run: it is not
// PerFile, and a placeholder stands alone as an argument.
func (t Tool) batchable() bool {
	return !t.PerFile && slices.Contains(t.Command[1:], Placeholder)
}

// parts splits the files of want (indexes into names) into runs of t:
// one file each if t is not batchable, else as many as fit argBudget.
func (t Tool) parts(want []int, names []string) [][]int {
	if len(want) == 0 {
		return nil
	}
	if !t.batchable() {
		out := make([][]int, len(want))
		for i, k := range want {
			out[i] = []int{k}
		}
		return out
	}
	fixed := 0
	for _, a := range t.Command {
		if a != Placeholder {
			fixed += argCost(a)
		}
	}
	var out [][]int
	var cur []int
	size := fixed
	for _, k := range want {
		c := argCost(names[k]) + 2 // and "./" if it begins with "-"
		if len(cur) > 0 && size+c > argBudget {
			out, cur, size = append(out, cur), nil, fixed
		}
		cur, size = append(cur, k), size+c
	}
	return append(out, cur)
}

// argCost is what an argument takes of ARG_MAX: its bytes, its NUL, its
// pointer.
func argCost(a string) int { return len(a) + 1 + 8 }

// argBudget is how many bytes of arguments one run may take: the
// system's ARG_MAX (on Linux a quarter of the stack limit, at least
// 128 KiB) less the environment and a margin, at most 128 KiB, as
// pre-commit takes it.
var argBudget = func() int {
	limit := 128 << 10
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_STACK, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		limit = min(limit, max(int(rl.Cur/4), 128<<10))
	}
	for _, e := range os.Environ() {
		limit -= argCost(e)
	}
	return max(limit-2048, 4096)
}()

func pick(names []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = names[k]
	}
	return out
}
