package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

var errNoPaths = errors.New("no PATH given")

// runScan runs one scan and returns its exit code.
func runScan(ctx context.Context, f scanFlags, args []string, stdout, stderr io.Writer) (int, error) {
	cfg, err := f.config(args)
	if err != nil {
		return exitUsage, err
	}
	ctx, signals := catchSignals(ctx, stderr, cfg.Grace)
	defer signals.stop()
	w := &walker{roots: args, scanners: cfg.Scanners,
		filter: filter{gitignore: !f.noIgnore, include: f.include, exclude: f.exclude}}
	var resumed resumeReport
	if f.resume {
		if w.done, resumed, err = resumeFrom(ctx, f, args, stderr); err != nil {
			return exitCodeOf(ctx, err)
		}
	}
	out, closeOut, err := openOutput(f.output, f.resume, stdout)
	if err != nil {
		return exitUsage, err
	}
	defer closeOut()
	sink := newSink(out, newFormat(f.format, formatOptions{color: f.colored(out), roots: roots(args)}))
	w.note = sink.write
	start := time.Now()
	run, err := engine.Start(ctx, cfg, w.jobs())
	if err != nil {
		_ = sink.close()
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "forkscan: interrupted while the workers started: no file was scanned")
		}
		return startFailed(ctx, err)
	}
	signals.onSecond(run.Kill)
	prog := startProgress(progressMode(f, stderr), stderr, w, sink, run)
	for r := range run.Results() {
		sink.write(r)
	}
	st, runErr := run.Wait()
	prog.end()
	if err := sink.close(); err != nil {
		return exitCannotRun, &exitError{exitCannotRun, fmt.Errorf("writing records: %w", err)}
	}
	summarize(stderr, summary{tally: sink.tally, stats: st, cfg: cfg, took: time.Since(start),
		resumed: resumed, skipped: int(w.resumed.Load()), ignored: int(w.ignored.Load()), interrupted: ctx.Err() != nil})
	sink.tally.findings += resumed.findings // the exit code is about the whole output
	return exitCode(ctx, sink.tally, runErr)
}

// colored reports whether text output to out gets colours.
func (f scanFlags) colored(out io.Writer) bool {
	switch f.color {
	case "always":
		return true
	case "never":
		return false
	}
	return isTerminal(out) && os.Getenv("NO_COLOR") == ""
}

// roots is the PATH arguments made absolute, as records name them.
func roots(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = absPath(a)
	}
	return out
}

// resumeFrom loads the records of the --output file for --resume.
func resumeFrom(ctx context.Context, f scanFlags, args []string, stderr io.Writer) (*prior, resumeReport, error) {
	p, rep, err := loadPrior(ctx, f.output, roots(args), f.force, stderr)
	if err != nil {
		return nil, rep, usageErr("--resume: %s: %w", f.output, err)
	}
	return p, rep, nil
}

// startFailed is the exit code for a run that did not start: interrupted
// while its workers started (130), refused by them for a setting that is
// wrong (a scanner's options: 2), or unable to start them (4).
func startFailed(ctx context.Context, err error) (int, error) {
	var e *scan.Error
	switch {
	case ctx.Err() != nil:
		return exitInterrupted, nil
	case errors.Is(err, engine.ErrConfig), errors.As(err, &e) && e.Category == scan.InvalidInput:
		return exitUsage, &exitError{exitUsage, err}
	}
	return exitCannotRun, &exitError{exitCannotRun, err}
}

// exitCodeOf is the exit code for an error before the run started.
func exitCodeOf(ctx context.Context, err error) (int, error) {
	if ctx.Err() != nil {
		return exitInterrupted, nil
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code, err
	}
	return exitCannotRun, err
}

func exitCode(ctx context.Context, t tally, runErr error) (int, error) {
	switch {
	case ctx.Err() != nil:
		return exitInterrupted, nil
	case runErr != nil && !errors.Is(runErr, engine.ErrAllWorkersLost):
		return exitCannotRun, &exitError{exitCannotRun, runErr}
	case t.errors > 0:
		return exitFailures, nil
	case t.findings > 0:
		return exitFindings, nil
	}
	return exitOK, nil
}

// openOutput opens the --output file, truncated, or for appending when
// resuming; stdout if none is named.
func openOutput(path string, appending bool, stdout io.Writer) (io.Writer, func(), error) {
	if path == "" || path == "-" {
		return stdout, func() {}, nil
	}
	mode := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appending {
		mode = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if err != nil {
		return nil, nil, usageErr("--output: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}
