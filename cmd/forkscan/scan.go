package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

var errNoPaths = errors.New("no PATH given")

// scanFlags are the flags of `forkscan scan`.
type scanFlags struct {
	workers     int
	tasks       int
	inProcess   bool
	scanners    []string
	format      string
	output      string
	maxFileSize string
	limits      []string
	limitsOnly  bool
	verbose     bool
	retries     int
	backoff     float64
	retryDelay  time.Duration
	timeout     time.Duration
	watchdog    time.Duration
	memoryLimit string
	maxJobs     int
	grace       time.Duration
	resume      bool
	force       bool
}

func scanCommand(code *int) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Scan files and trees, one record per (file, scanner)",
		Long: `Scan walks each PATH (skipping .git, not following symlinks out of the
root, never opening FIFOs or devices), runs the scanners on every file in
worker processes, and writes one record per (file, scanner): JSON lines by
default. A summary goes to stderr.

Exit codes: 0 done with no findings, 1 done with findings, 2 usage or
configuration error, 3 done but some files failed, 4 the workers could not
be started, 130 interrupted.

Ctrl-C (or SIGTERM) stops the run in phases: the workers are asked to stop
and get --grace to hand in what they made, then SIGTERM, then SIGKILL; a
second Ctrl-C skips to SIGKILL. Every record that reached forkscan is
written, whole. --resume -o FILE then carries on where the run stopped.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := runScan(cmd.Context(), f, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			*code = c
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.workers, "workers", "w", runtime.NumCPU(), "worker processes")
	fl.IntVar(&f.tasks, "tasks", 2, "concurrent jobs per worker")
	fl.BoolVar(&f.inProcess, "in-process", false, "run workers as goroutines in this process (no isolation; for debugging and comparison)")
	fl.StringSliceVarP(&f.scanners, "scanner", "s", []string{"inventory"}, "scanner to run (repeatable; see `forkscan scanners`)")
	fl.StringVar(&f.format, "format", "jsonl", "output format: jsonl or text")
	fl.StringVarP(&f.output, "output", "o", "", "write records to FILE instead of stdout")
	fl.StringVar(&f.maxFileSize, "max-file-size", "100MiB", "skip larger files (0 for no limit; K/M/G or KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000)")
	fl.StringArrayVar(&f.limits, "limit", nil, "cap the run-wide semaphore NAME at K holders across all workers: NAME=K (repeatable)")
	fl.BoolVar(&f.limitsOnly, "limits-only", false, "refuse semaphores not named by --limit")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug details to stderr")
	fl.IntVar(&f.retries, "retries", 2, "run a job again up to N times after a retryable failure or a worker crash")
	fl.Float64Var(&f.backoff, "backoff", 2, "factor between successive retry delays (at least 1; delays have jitter)")
	fl.DurationVar(&f.retryDelay, "retry-delay", time.Second, "delay before the first retry")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "time limit per job: cancelled, then its worker killed and replaced")
	fl.DurationVar(&f.watchdog, "watchdog", 10*time.Second, "replace a worker that sends nothing for this long")
	fl.StringVar(&f.memoryLimit, "memory-limit", "", "kill and replace a worker whose resident memory goes over SIZE (e.g. 512MiB)")
	fl.IntVar(&f.maxJobs, "max-jobs-per-worker", 0, "replace each worker after N jobs (0: never)")
	fl.DurationVar(&f.grace, "grace", 2*time.Second, "on Ctrl-C, how long workers have to stop before SIGTERM")
	fl.BoolVar(&f.resume, "resume", false, "append to the --output file, skipping (file, scanner) pairs it has ok for unchanged files")
	fl.BoolVar(&f.force, "force", false, "with --resume: accept a file written for another root")
	return cmd
}

// config checks the flags and builds the engine configuration.
func (f scanFlags) config(args []string) (engine.Config, error) {
	var cfg engine.Config
	switch {
	case len(args) == 0:
		return cfg, usageErr("scan: %w", errNoPaths)
	case f.workers < 1:
		return cfg, usageErr("--workers must be at least 1, got %d", f.workers)
	case f.tasks < 1:
		return cfg, usageErr("--tasks must be at least 1, got %d", f.tasks)
	case f.format != "jsonl" && f.format != "text":
		return cfg, usageErr("--format must be jsonl or text, got %q", f.format)
	case len(f.scanners) == 0:
		return cfg, usageErr("--scanner: name at least one scanner")
	}
	for _, s := range f.scanners {
		if _, ok := scan.Lookup(s); !ok {
			return cfg, usageErr("--scanner: unknown scanner %q (known: %v)", s, scan.Names())
		}
	}
	maxSize, err := parseSize(f.maxFileSize)
	if err != nil {
		return cfg, usageErr("--max-file-size: %w", err)
	}
	limits, err := parseLimits(f.limits)
	if err != nil {
		return cfg, usageErr("--limit: %w", err)
	}
	if err := f.checkFaultFlags(); err != nil {
		return cfg, err
	}
	var memLimit int64
	if f.memoryLimit != "" {
		if memLimit, err = parseSize(f.memoryLimit); err != nil || memLimit == 0 {
			return cfg, usageErr("--memory-limit: %q is not a positive size (examples: 512MiB, 2GiB)", f.memoryLimit)
		}
	}
	return engine.Config{
		Semaphores:       semregistry.Config{Capacities: limits, DeclaredOnly: f.limitsOnly},
		Scanners:         dedupe(f.scanners),
		Workers:          f.workers,
		Tasks:            f.tasks,
		InProcess:        f.inProcess,
		MaxFileSize:      maxSize,
		Retries:          cmp.Or(f.retries, -1), // the engine's zero means its default
		RetryDelay:       cmp.Or(f.retryDelay, -1),
		BackoffBase:      f.backoff,
		JobTimeout:       f.timeout,
		Watchdog:         f.watchdog,
		MemoryLimit:      memLimit,
		MaxJobsPerWorker: f.maxJobs,
		Grace:            f.grace,
		Logger:           logger(f.verbose),
	}, nil
}

// checkFaultFlags refuses values of the fault-tolerance flags that make no
// sense, naming the flag: nothing is clamped.
func (f scanFlags) checkFaultFlags() error {
	switch {
	case f.retries < 0:
		return usageErr("--retries must be 0 or more, got %d", f.retries)
	case !(f.backoff >= 1) || math.IsInf(f.backoff, 1):
		return usageErr("--backoff must be a number of at least 1, got %v", f.backoff)
	case f.retryDelay < 0:
		return usageErr("--retry-delay must not be negative, got %v", f.retryDelay)
	case f.timeout <= 0:
		return usageErr("--timeout must be more than 0, got %v", f.timeout)
	case f.watchdog <= 0:
		return usageErr("--watchdog must be more than 0, got %v", f.watchdog)
	case f.maxJobs < 0:
		return usageErr("--max-jobs-per-worker must be 0 or more, got %d", f.maxJobs)
	case f.grace <= 0:
		return usageErr("--grace must be more than 0, got %v", f.grace)
	case f.resume && (f.output == "" || f.output == "-"):
		return usageErr("--resume needs --output FILE: it resumes the records in that file")
	case f.resume && f.format != "jsonl":
		return usageErr("--resume works on jsonl output, not %s", f.format)
	case f.force && !f.resume:
		return usageErr("--force only means something with --resume")
	}
	return nil
}

// dedupe returns names without repeats, in first-seen order.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func logger(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// runScan runs one scan and returns its exit code.
func runScan(ctx context.Context, f scanFlags, args []string, stdout, stderr io.Writer) (int, error) {
	cfg, err := f.config(args)
	if err != nil {
		return exitUsage, err
	}
	ctx, signals := catchSignals(ctx, stderr, cfg.Grace)
	defer signals.stop()
	w := &walker{roots: args, scanners: cfg.Scanners}
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
	sink := newSink(out, f.format)
	w.note = sink.write
	start := time.Now()
	run, err := engine.Start(ctx, cfg, w.jobs())
	if err != nil {
		_ = sink.close()
		if errors.Is(err, engine.ErrConfig) {
			return exitUsage, &exitError{exitUsage, err}
		}
		return exitCannotRun, &exitError{exitCannotRun, err}
	}
	signals.onSecond(run.Kill)
	for r := range run.Results() {
		sink.write(r)
	}
	st, runErr := run.Wait()
	if err := sink.close(); err != nil {
		return exitCannotRun, &exitError{exitCannotRun, fmt.Errorf("writing records: %w", err)}
	}
	summarize(stderr, summary{tally: sink.tally, stats: st, cfg: cfg, took: time.Since(start),
		resumed: resumed, skipped: int(w.resumed.Load()), interrupted: ctx.Err() != nil})
	sink.tally.findings += resumed.findings // the exit code is about the whole output
	return exitCode(ctx, sink.tally, runErr)
}

// resumeFrom loads the records of the --output file for --resume.
func resumeFrom(ctx context.Context, f scanFlags, args []string, stderr io.Writer) (*prior, resumeReport, error) {
	roots := make([]string, len(args))
	for i, a := range args {
		roots[i] = absPath(a)
	}
	p, rep, err := loadPrior(ctx, f.output, roots, f.force, stderr)
	if err != nil {
		return nil, rep, usageErr("--resume: %s: %w", f.output, err)
	}
	return p, rep, nil
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

// parseLimits parses --limit values, NAME=K with K ≥ 1, each name once.
func parseLimits(specs []string) (map[string]int64, error) {
	limits := make(map[string]int64, len(specs))
	for _, spec := range specs {
		name, k, ok := strings.Cut(spec, "=")
		n, err := strconv.ParseInt(k, 10, 64)
		switch {
		case !ok || name == "":
			return nil, fmt.Errorf("%q is not NAME=K", spec)
		case err != nil || n < 1:
			return nil, fmt.Errorf("%q: K must be a whole number of at least 1", spec)
		case limits[name] != 0:
			return nil, fmt.Errorf("%q: %s is limited twice", spec, name)
		}
		limits[name] = n
	}
	return limits, nil
}
