package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/forkscan/forkscan/merge"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

// mergeFlags are the flags of `forkscan merge`.
type mergeFlags struct {
	output       string
	format       string
	color        string
	allowPartial bool
}

func mergeCommand(code *int) *cobra.Command {
	var f mergeFlags
	cmd := &cobra.Command{
		Use:   "merge [flags] SHARD-OUTPUT...",
		Short: "Join the outputs of a scan's shards (scan --shard I/N) into one",
		Long: `Merge reads the JSON lines outputs of the N shards of one scan (forkscan
scan --shard I/N -o FILE, on as many machines) and writes the records one
scan of the whole tree would have written, as --format says (jsonl, sarif,
text; the default as scan's), with the summary and exit codes of a scan.

It first checks that the outputs belong together, and refuses, naming the
files, when a shard is missing or given twice, when shards differ in root,
settings or forkscan version, when a file is in two shards, when a shard
did not finish (interrupted, or killed: no end line), when a header is not
one forkscan writes (a shard count over 100,000, a field twice), or when
lines are not records (each named with its number). --allow-partial merges what
there is instead (files that are not shard outputs left out, bad lines
skipped), says what is missing, and exits 3 at best; it never lets through
shards of different scans, a shard given twice, or a file in two shards.

It reads each output twice (to check, then to write) and holds one line at
a time and a few bytes per file, never the records, and nothing per shard
of the count the headers name.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := runMerge(cmd.Context(), f, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			*code = c
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the merged records to `FILE` instead of stdout")
	fl.StringVar(&f.format, "format", "", "output format: jsonl, sarif or text (default: text on a terminal, jsonl otherwise)")
	fl.StringVar(&f.color, "color", "auto", "colour in text output: auto, always or never")
	fl.BoolVar(&f.allowPartial, "allow-partial", false, "merge what there is when shards are missing or unfinished, have bad lines, or files given are not shard outputs; say what is missing")
	return cmd
}

// runMerge merges the shard outputs args and returns the exit code.
func runMerge(ctx context.Context, f mergeFlags, args []string, stdout, stderr io.Writer) (int, error) {
	if err := f.check(args); err != nil {
		return exitUsage, err
	}
	start := time.Now()
	plan, err := merge.Check(args, merge.Options{AllowPartial: f.allowPartial})
	if err != nil {
		return exitUsage, usageErr("merge refused:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	for _, p := range plan.Partial {
		fmt.Fprintf(stderr, "forkscan: merge: partial: %s\n", p)
	}
	out, closeOut, err := openOutput(f.output, false, stdout)
	if err != nil {
		return exitUsage, err
	}
	defer closeOut()
	sf := scanFlags{format: f.format, color: f.color}
	w, err := output.New(out, sf.formatFor(out), output.Options{Color: sf.colored(out), Base: workDir(), Roots: plan.Shards[0].Header.Roots, Ignorable: []string{secrets.Name}, Version: versionString()})
	if err != nil {
		return exitUsage, usageErr("--format: %w", err)
	}
	err = plan.Write(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return exitCannotRun, &exitError{exitCannotRun, fmt.Errorf("merge: %w", err)}
	}
	sum := output.Summary{Tally: w.Tally(), Jobs: plan.Files, Merged: len(plan.Shards), Took: time.Since(start)}
	sum.Print(stderr)
	code, err := exitCode(ctx, sum, nil)
	if len(plan.Partial) > 0 && code < exitFailures {
		code = exitFailures // files are missing: not a clean result
	}
	return code, err
}

// check refuses a merge of nothing, an unknown format, and an output that
// is one of the inputs (it would be emptied before it is read).
func (f mergeFlags) check(args []string) error {
	switch {
	case len(args) == 0:
		return usageErr("merge: name the shards' outputs (forkscan merge shard-*.jsonl)")
	case f.format != "" && !slices.Contains(output.Formats, f.format):
		return usageErr("--format must be one of %s, got %q", strings.Join(output.Formats, ", "), f.format)
	case !slices.Contains([]string{"auto", "always", "never"}, f.color):
		return usageErr("--color must be auto, always or never, got %q", f.color)
	}
	if f.output == "" || f.output == "-" {
		return nil
	}
	out, err := os.Stat(f.output)
	if err != nil {
		return nil // a new file is no input
	}
	for _, a := range args {
		if in, err := os.Stat(a); err == nil && os.SameFile(in, out) {
			return usageErr("--output %s is one of the shards' outputs: it would be emptied before it is read", f.output)
		}
	}
	return nil
}
