package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

// scanFlags are the flags of `forkscan scan`, and what a config file adds.
type scanFlags struct {
	workers     int
	tasks       int
	inProcess   bool
	scanners    []string
	format      string
	output      string
	maxFileSize string
	archives    archiveFlags
	limits      []string
	limitsOnly  bool
	verbose     bool
	retries     int
	backoff     float64
	retryDelay  time.Duration
	timeout     time.Duration
	watchdog    time.Duration
	startTime   time.Duration // --start-timeout
	memoryLimit string
	maxJobs     int
	grace       time.Duration
	resume      bool
	force       bool

	secretsConfig string
	noRedact      bool
	execCmd       string
	execJSON      bool
	execFormat    string
	execPerFile   bool
	toolNames     []string
	execOKExit    []int
	execTimeout   time.Duration

	noIgnore   bool
	include    []string
	exclude    []string
	progress   string
	noProgress bool
	color      string
	configFile string
	listen     string

	shard shardFlags // scan's alone: serve has none

	settingsExtra string          // what else decides a shard's records: a history's revisions
	scannersGiven bool            // -s was given (on the command line or in the config)
	tools         []external.Tool // [[exec]] tables of the config file
	notice        *notices        // the settings files read, said on stderr before the run
	line          []string        // the command line, for the command that carries an interrupted run on
}

func scanCommand(code *int, line []string) *cobra.Command {
	f := scanFlags{notice: &notices{}, line: line}
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Scan files and trees, one record per (file, scanner)",
		Long: `Scan walks each PATH (skipping .git and what .gitignore files ignore, not
following symlinks out of the root, never opening FIFOs or devices), runs
the scanners on every file in worker processes, largest files first, and
writes one record per (file, scanner): as text for people when stdout is
a terminal (the files with findings or errors), as JSON lines when it is
a pipe or a file, or as --format says (jsonl, sarif, text). The default
scanner is secrets (gitleaks' rules). A summary goes to stderr, with a
progress bar when stderr is a terminal.

Flags can also come from a --config FILE: keys are the flags' long names;
flags given on the command line win. A forkscan.toml in the first PATH is
read too, but a scanned tree may only say which of its files are scanned
(include, exclude, no-ignore): its other settings are ignored, and named.

Exit codes: 0 done with no findings, 1 done with findings, 2 usage or
configuration error, 3 done but some files failed, 4 the workers could not
be started, 130 interrupted.

Ctrl-C (or SIGTERM) stops the run in phases: the workers are asked to stop
and get --grace to hand in what they made, then SIGTERM, then SIGKILL; a
second Ctrl-C skips to SIGKILL. Every record that reached forkscan is
written, whole. --resume -o FILE then carries on where the run stopped.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.loadConfig(cmd.Flags(), args); err != nil {
				*code = exitUsage
				return err
			}
			f.scannersGiven = cmd.Flags().Changed("scanner")
			c, err := runScan(cmd.Context(), f, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			*code = c
			return err
		},
	}
	f.register(cmd.Flags())
	f.shard.register(cmd.Flags())
	return cmd
}

// register defines the flags, their defaults those of engine.DefaultConfig.
func (f *scanFlags) register(fl *pflag.FlagSet) {
	d := engine.DefaultConfig()
	fl.IntVarP(&f.workers, "workers", "w", d.Workers, "worker processes")
	fl.IntVar(&f.tasks, "tasks", d.Tasks, "concurrent jobs per worker")
	fl.BoolVar(&f.inProcess, "in-process", false, "run workers as goroutines in this process (no isolation; for debugging and comparison)")
	fl.StringSliceVarP(&f.scanners, "scanner", "s", []string{secrets.Name}, "run the scanner `NAME` (repeatable; forkscan scanners lists them)")
	fl.StringVar(&f.format, "format", "", "output `FORMAT`: jsonl, sarif or text (default: text on a terminal, jsonl otherwise)")
	fl.StringVarP(&f.output, "output", "o", "", "write records to `FILE` instead of stdout")
	fl.StringVar(&f.maxFileSize, "max-file-size", "100MiB", "skip larger files (0 for no limit; K/M/G or KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000)")
	f.archives.register(fl)
	fl.StringArrayVar(&f.limits, "limit", nil, "cap the run-wide semaphore NAME at K holders across all workers: `NAME=K` (repeatable; exec tools use exec:TOOL)")
	fl.BoolVar(&f.limitsOnly, "limits-only", false, "refuse semaphores not named by --limit")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug details to stderr")
	fl.IntVar(&f.retries, "retries", d.Retries, "run a job again up to `N` times after a retryable failure or a worker crash (0: never)")
	fl.Float64Var(&f.backoff, "backoff", d.BackoffBase, "factor between successive retry delays (at least 1; delays have jitter)")
	fl.DurationVar(&f.retryDelay, "retry-delay", d.RetryDelay, "delay before the first retry (0: at once)")
	fl.DurationVar(&f.timeout, "timeout", d.JobTimeout, "time limit per job: cancelled, then its worker killed and replaced (0: none)")
	fl.DurationVar(&f.watchdog, "watchdog", d.Watchdog, "replace a worker that sends nothing for this long (0: never)")
	fl.DurationVar(&f.startTime, "start-timeout", d.StartTimeout, "replace a worker not ready this long after it was started, unless it is building its scanners on the CPU (more on a slow or busy machine)")
	fl.StringVar(&f.memoryLimit, "memory-limit", "", "kill and replace a worker whose resident memory goes over `SIZE` (e.g. 512MiB)")
	fl.IntVar(&f.maxJobs, "max-jobs-per-worker", 0, "replace each worker after `N` jobs (0: never)")
	fl.DurationVar(&f.grace, "grace", d.Grace, "on Ctrl-C, how long workers have to stop before SIGTERM (0: none)")
	fl.BoolVar(&f.resume, "resume", false, "append to the --output file, skipping (file, scanner) pairs it has ok for unchanged files")
	fl.BoolVar(&f.force, "force", false, "with --resume: accept a file written for another root")

	fl.StringVar(&f.secretsConfig, "secrets-config", "", "gitleaks TOML config `FILE` for the secrets scanner (default: .gitleaks.toml in PATH if there is one, else gitleaks' default rules)")
	fl.BoolVar(&f.noRedact, "no-redact", false, "show secrets in findings (redacted by default)")
	fl.StringVar(&f.execCmd, "exec-cmd", "", "external `COMMAND` for the exec scanner, {} standing for the file: 'tool --json {}'")
	fl.BoolVar(&f.execJSON, "exec-json", false, "the --exec-cmd tool prints JSON findings (same as --exec-format json)")
	fl.StringVar(&f.execFormat, "exec-format", "", "how the --exec-cmd tool prints findings: json, jsonl or sarif (default: none, its exit status only)")
	fl.BoolVar(&f.execPerFile, "exec-per-file", false, "the --exec-cmd tool takes one file per run (otherwise a {} standing alone gets many)")
	fl.StringArrayVar(&f.toolNames, "tool", nil, "run the known tool `NAME` with the exec scanner; NAME=VALUE gives a tool that needs one its value (semgrep=RULES) (repeatable; forkscan tools lists them)")
	fl.IntSliceVar(&f.execOKExit, "exec-ok-exit", nil, "exit statuses of the --exec-cmd tool that mean it ran (default 0)")
	fl.DurationVar(&f.execTimeout, "exec-timeout", 0, "time limit for one run of the --exec-cmd tool (default: the job's --timeout)")

	fl.BoolVar(&f.noIgnore, "no-ignore", false, "scan what .gitignore files ignore too")
	fl.StringArrayVar(&f.include, "include", nil, "scan only files matching `GLOB` (repeatable; ** crosses directories; a GLOB without / matches names)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "skip files and directories matching `GLOB` (repeatable)")
	fl.StringVar(&f.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal), bar, plain (a line every few seconds) or off")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress on stderr (same as --progress off)")
	fl.StringVar(&f.color, "color", "auto", "colour in text output: auto (on a terminal, unless NO_COLOR is set), always or never")
	fl.StringVar(&f.listen, "listen", "", "serve /metrics (Prometheus) and /healthz on `ADDR` while the scan runs (host:port)")
	fl.StringVar(&f.configFile, "config", "", "read flags from this TOML `FILE` (default: forkscan.toml in the first PATH, if there is one)")
}

// config checks the flags and builds the engine configuration.
func (f scanFlags) config(args []string) (engine.Config, error) {
	cfg := engine.DefaultConfig()
	if err := f.checkBasics(args); err != nil {
		return cfg, err
	}
	maxSize, err := parseSize(f.maxFileSize)
	if err != nil {
		return cfg, usageErr("--max-file-size: %w", err)
	}
	if err := f.archives.apply(&cfg); err != nil {
		return cfg, err
	}
	limits, err := parseLimits(f.limits)
	if err != nil {
		return cfg, usageErr("--limit: %w", err)
	}
	if err := f.checkFaultFlags(); err != nil {
		return cfg, err
	}
	if f.memoryLimit != "" {
		if cfg.MemoryLimit, err = parseSize(f.memoryLimit); err != nil || cfg.MemoryLimit == 0 {
			return cfg, usageErr("--memory-limit: %q is not a positive size (examples: 512MiB, 2GiB)", f.memoryLimit)
		}
	}
	cfg.Scanners = f.scannerNames()
	if cfg.ScannerOptions, err = f.scannerOptions(cfg.Scanners, args, limits); err != nil {
		return cfg, err
	}
	cfg.Semaphores = semregistry.Config{Capacities: limits, DeclaredOnly: f.limitsOnly}
	cfg.Workers, cfg.Tasks, cfg.InProcess, cfg.MaxFileSize = f.workers, f.tasks, f.inProcess, maxSize
	cfg.Retries, cfg.RetryDelay, cfg.BackoffBase = f.retries, f.retryDelay, f.backoff
	cfg.JobTimeout, cfg.Watchdog, cfg.MaxJobsPerWorker, cfg.Grace = f.timeout, f.watchdog, f.maxJobs, f.grace
	cfg.StartTimeout = f.startTime
	cfg.Logger = logger(f.verbose)
	return cfg, nil
}

// filter is the walk's filter the flags ask for.
func (f scanFlags) filter() tree.Filter {
	return tree.Filter{NoIgnore: f.noIgnore, Include: f.include, Exclude: f.exclude}
}

// checkBasics refuses missing paths, counts below one, unknown formats and
// scanners.
func (f scanFlags) checkBasics(args []string) error {
	switch {
	case len(args) == 0:
		return usageErr("scan: %w", errNoPaths)
	case f.workers < 1 || f.workers > engine.MaxWorkers:
		return usageErr("--workers must be from 1 to %d, got %d", engine.MaxWorkers, f.workers)
	case f.tasks < 1 || f.tasks > 1024:
		return usageErr("--tasks must be from 1 to 1024, got %d", f.tasks)
	case f.format != "" && !slices.Contains(output.Formats, f.format):
		return usageErr("--format must be one of %s, got %q", strings.Join(output.Formats, ", "), f.format)
	case !slices.Contains([]string{"auto", "bar", "plain", "off"}, f.progress):
		return usageErr("--progress must be auto, bar, plain or off, got %q", f.progress)
	case !slices.Contains([]string{"auto", "always", "never"}, f.color):
		return usageErr("--color must be auto, always or never, got %q", f.color)
	case len(f.scanners) == 0:
		return usageErr("--scanner: name at least one scanner")
	}
	for _, s := range f.scanners {
		if _, ok := scan.Lookup(s); !ok {
			return usageErr("--scanner: unknown scanner %q (known: %v)", s, scan.Names())
		}
	}
	if err := f.filter().Check(); err != nil {
		return usageErr("--include/--exclude: %w", err)
	}
	return checkPaths(args)
}

// checkPaths refuses a PATH that is not there, as a usage error naming it:
// a typing mistake is not a file that failed. What is there, whatever it
// is, is the walk's to judge (and gets a record).
func checkPaths(args []string) error {
	for _, p := range args {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return usageErr("%s: %w", p, errNoSuchPath)
		}
	}
	return nil
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
	case f.timeout < 0:
		return usageErr("--timeout must not be negative (0: no limit), got %v", f.timeout)
	case f.watchdog < 0:
		return usageErr("--watchdog must not be negative (0: never), got %v", f.watchdog)
	case f.startTime <= 0:
		return usageErr("--start-timeout must be positive, got %v", f.startTime)
	case f.maxJobs < 0:
		return usageErr("--max-jobs-per-worker must be 0 or more, got %d", f.maxJobs)
	case f.grace < 0:
		return usageErr("--grace must not be negative (0: none), got %v", f.grace)
	case f.resume && (f.output == "" || f.output == "-"):
		return usageErr("--resume needs --output FILE: it resumes the records in that file")
	case f.resume && f.format != "" && f.format != output.JSONL:
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
