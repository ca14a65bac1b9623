// Command embed is forkscan embedded in a program of its own: a scanner of
// its own (todo, a finding for each line that says TODO), the library's
// walk of a directory, the engine's worker processes, and a SARIF 2.1.0 log
// on stdout, as a code-scanning service takes it.
//
// It is what `forkscan scan -s todo --format sarif DIR` would be, were todo
// built into forkscan; it shows the few calls the CLI makes underneath.
//
// Usage:
//
//	embed DIR > out.sarif
//
// It exits 0 when nothing was found, 1 when there are findings, and 2 when
// it could not scan (a bad argument, a file it could not read).
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker"
	"github.com/forkscan/forkscan/worker/scan"
)

// Registered in init, the scanner exists in this process and in every
// worker, which is this same program started again.
func init() {
	scan.Register(scan.Def{Name: "todo", Doc: "a finding for each line that says TODO", Content: true,
		New: func() (scan.Scanner, error) { return scan.ScannerFunc(todo), nil }})
}

// todo reports a finding for each line of the file that says TODO.
func todo(_ context.Context, f *scan.File) (scan.Report, error) {
	var rep scan.Report
	for i, line := range bytes.Split(f.Data, []byte("\n")) {
		if bytes.Contains(line, []byte("TODO")) {
			rep.Findings = append(rep.Findings, scan.Finding{Rule: "todo", Line: i + 1,
				Message: "TODO left in the code", Severity: record.SeverityInfo})
		}
	}
	return rep, nil
}

func main() {
	worker.Main() // in a worker process, serves and never returns
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run scans the directory args names, writes the SARIF log to stdout and
// a summary to stderr, and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: embed DIR > out.sarif")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt) // Ctrl-C stops the workers gracefully
	defer stop()
	out, err := output.New(stdout, output.SARIF, output.Options{Roots: tree.Roots(args)})
	if err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 2
	}
	cfg := engine.DefaultConfig()
	cfg.Scanners = []string{"todo"}
	walker := &tree.Walker{Roots: args}
	runErr := scanAll(ctx, cfg, jobs(walker, out), out)
	if err := out.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return summary(stderr, out.Tally(), runErr)
}

// summary writes the line a run ends with and returns the exit code.
func summary(stderr io.Writer, t output.Tally, runErr error) int {
	files := t.Files.Done + t.Files.Failed + t.Files.Unscanned
	fmt.Fprintf(stderr, "embed: %d files, %d findings, %d errors\n", files, t.Findings, t.Errors)
	switch {
	case runErr != nil:
		fmt.Fprintln(stderr, "embed:", runErr)
		return 2
	case t.Errors > 0:
		return 2
	case t.Findings > 0:
		return 1
	}
	return 0
}

// jobs turns the walk into the run's jobs, largest files first. An entry
// the walk could not read, or will not have scanned, gets its record now.
func jobs(walker *tree.Walker, out *output.Writer) iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		for e := range tree.LargestFirst(walker.Walk) {
			if e.Err == nil && e.Skip == "" {
				if !yield(engine.Job{Root: e.Root, Path: e.Path, Meta: output.Track(1, e.Size, true)}) {
					return
				}
				continue
			}
			rec := record.Record{Root: e.Root, Path: e.Path, Scanner: "todo", Status: record.StatusSkipped, Reason: e.Skip}
			if e.Err != nil {
				rec.Status, rec.Error = record.StatusError, e.Err
			}
			out.Write(rec, output.Track(1, 0, false))
		}
	}
}

// scanAll runs the jobs in worker processes and writes every result.
func scanAll(ctx context.Context, cfg engine.Config, jobs iter.Seq[engine.Job], out *output.Writer) error {
	run, err := engine.Start(ctx, cfg, jobs)
	if err != nil {
		return err
	}
	for res := range run.Results() {
		out.Write(res.Record, res.Meta.(*output.File))
	}
	_, err = run.Wait()
	return err
}
