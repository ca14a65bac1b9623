package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/sched"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/scanrun"
	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/shutdown"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

var (
	errNoPaths    = errors.New("no PATH given")
	errNoSuchPath = errors.New("no such file or directory")
)

// runScan runs one scan and returns its exit code.
func runScan(ctx context.Context, f scanFlags, args []string, stdout, stderr io.Writer) (int, error) {
	cfg, err := f.config(args)
	f.notice.print(stderr)
	if err != nil {
		return exitUsage, err
	}
	shard, err := f.shard.resolve(os.Getenv)
	if err != nil {
		return exitUsage, err
	}
	stop := &stopping{w: stderr, grace: cfg.Grace}
	ctx, signals := shutdown.Catch(ctx, stop.say)
	defer signals.Stop()
	walk := &tree.Walker{Roots: args, Filter: f.filter(), Shard: shard, Done: ctx.Done()}
	return runWalk(ctx, signals, f, plan{cfg: cfg, shard: shard, roots: tree.Roots(args), named: rootNames(args), walk: walk, stop: stop}, stdout, stderr)
}

// plan is what a scan walks and how: a tree's files, or a history's
// commits.
type plan struct {
	cfg   engine.Config
	shard tree.Shard
	roots []string
	named map[string]string // each root as the person named it, for the text
	walk  scanrun.Walk
	repo  *output.Repository // the history's repository, for SARIF
	whole bool               // changes not yet committed: scanned whole, never resumed
	// reached says which recorded commits the history's revisions still
	// reach, for --resume (resume.Options.Reached); nil for a tree.
	reached func(ctx context.Context, root string, commits map[string]bool) (map[string]bool, error)
	stop    *stopping // what Ctrl-C says
}

// runWalk runs a planned scan: its records go to the output, resumed if
// asked, and its summary to stderr; it returns the exit code.
func runWalk(ctx context.Context, signals *shutdown.Signals, f scanFlags, p plan, stdout, stderr io.Writer) (int, error) {
	if err := sched.Batch(); err != nil { // a scan is batch work: its workers and gits inherit it
		slog.Debug("running as batch work", "error", err)
	}
	cfg := p.cfg
	header, err := shardHeader(p.shard, p.roots, cfg, f)
	if err != nil {
		return exitUsage, err
	}
	src := &scanrun.Source{Walker: p.walk, Scanners: cfg.Scanners, Filters: toolFilters(cfg)}
	var resumed *resume.Report
	if f.resume {
		prior, rep, err := resume.Load(ctx, f.output, p.roots, resume.Options{Force: f.force, Warn: warnTo(stderr, "--resume"), Header: header, MaxSize: cfg.MaxFileSize, History: cfg.History,
			Reached: p.reached, Settings: cfg.ScannerSettings()})
		if err != nil {
			return resumeFailed(ctx, f.output, err)
		}
		src.Done, resumed = prior, &rep
	}
	out, closeOut, err := openOutput(f.output, f.resume, stdout)
	if err != nil {
		return exitUsage, err
	}
	defer closeOut()
	prog := newProgress(progressMode(f, stderr), stderr, src)
	src.Out, err = output.New(prog.sharing(out), f.formatFor(out), output.Options{Color: f.colored(out), Base: workDir(), Roots: p.roots, RootNames: p.named, Ignorable: []string{secrets.Name},
		Shard: header, Resumed: f.resume, Repository: p.repo, Version: versionString()})
	if err != nil {
		return exitUsage, usageErr("--format: %w", err)
	}
	metrics, stopMetrics, err := serveMetrics(f.listen, stderr)
	if err != nil {
		_ = src.Out.Close()
		return exitUsage, err
	}
	defer stopMetrics()
	start := time.Now()
	run, err := engine.Start(ctx, cfg, src.Jobs())
	if err != nil {
		if header != nil {
			src.Out.End(src.End(false))
		}
		_ = src.Out.Close()
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "forkscan: interrupted while the workers started: nothing was scanned")
		}
		return startFailed(ctx, err)
	}
	signals.OnSecond(run.Kill)
	p.stop.show(prog)
	prog.start(run)
	meter := metrics.Follow(run, func() int64 { return src.Out.Tally().Bytes })
	for r := range run.Results() {
		src.Write(r)
		meter.Record(r)
	}
	st, runErr := run.Wait()
	prog.end()
	meter.End(st, src.Out.Tally().Bytes)
	if header != nil {
		src.Out.End(src.End(ctx.Err() == nil && runErr == nil))
	}
	if err := src.Out.Close(); err != nil {
		return exitCannotRun, &exitError{exitCannotRun, fmt.Errorf("writing records: %w", err)}
	}
	sum := src.Summary(st, cfg, time.Since(start), resumed, ctx.Err() != nil)
	sum.Shard = sayShard(header)
	if cfg.History {
		sum.Unit = "commits"
	}
	if !p.whole {
		sum.CarryOn = f.carryOn(f.formatFor(out))
	}
	sum.Print(stderr)
	return exitCode(ctx, sum, runErr)
}

// rootNames maps each root of the PATHs to the PATH that named it (the
// directory of one that names a file), so that the text shows a file as
// the person would name it: "a/client.py", "/nonexistent". A symlink to a
// file is left out: its root is the directory of the file it names.
func rootNames(args []string) map[string]string {
	named := make(map[string]string, len(args))
	for _, a := range args {
		root, name := tree.Root(a), a
		if info, err := os.Lstat(a); err != nil || !info.IsDir() {
			if err == nil && info.Mode().Type() == os.ModeSymlink {
				continue
			}
			name = filepath.Dir(a)
		}
		if _, seen := named[root]; !seen {
			named[root] = name
		}
	}
	return named
}

// formatFor is the --format, or when none is given, text for a terminal
// and JSON lines for anything else.
func (f scanFlags) formatFor(out io.Writer) string {
	switch {
	case f.format != "":
		return f.format
	case isTerminal(out):
		return output.Text
	}
	return output.JSONL
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

// resumeFailed is the exit code for an output --resume cannot take.
func resumeFailed(ctx context.Context, path string, err error) (int, error) {
	if ctx.Err() != nil {
		return exitInterrupted, nil
	}
	return exitUsage, usageErr("--resume: %s: %w", path, err)
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

// exitCode is the exit code of a run that started; the findings an
// earlier run of a resumed output made count too.
func exitCode(ctx context.Context, s output.Summary, runErr error) (int, error) {
	findings := s.Tally.Findings
	if s.Resumed != nil {
		findings += s.Resumed.Findings
	}
	switch {
	case ctx.Err() != nil:
		return exitInterrupted, nil
	case runErr != nil && !errors.Is(runErr, engine.ErrAllWorkersLost):
		return exitCannotRun, &exitError{exitCannotRun, runErr}
	case s.Tally.Errors > 0:
		return exitFailures, nil
	case findings > 0:
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
	var f *os.File
	var err error
	if appending {
		f, err = resume.Append(path)
	} else {
		f, err = os.Create(path)
	}
	if err != nil {
		return nil, nil, usageErr("--output: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// stopping tells the person who pressed Ctrl-C what happens now, on a
// line of its own: a progress bar on the same terminal ends its line
// first (the terminal echoed ^C after it), and draws itself again below.
type stopping struct {
	w     io.Writer
	grace time.Duration
	mu    sync.Mutex
	prog  *progress // set once the run shows one
}

// show makes the progress p's once it is shown.
func (s *stopping) show(p *progress) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prog = p
}

// say is the shutdown.Catch notice.
func (s *stopping) say(sig os.Signal, again bool) {
	s.mu.Lock()
	p := s.prog
	s.mu.Unlock()
	p.interject(func(w io.Writer) {
		if again {
			fmt.Fprintf(w, "forkscan: %v again: killing the workers\n", sig)
			return
		}
		fmt.Fprintf(w, "forkscan: %v: stopping; workers have %v to hand in their results (press Ctrl-C again to kill them now)\n", sig, s.grace)
	}, s.w)
}

// warnTo returns a function that writes a warning about what to stderr.
func warnTo(stderr io.Writer, what string) func(string) {
	return func(msg string) { fmt.Fprintf(stderr, "forkscan: %s: %s\n", what, msg) }
}

func workDir() string {
	wd, _ := os.Getwd()
	return wd
}

// serveMetrics serves /metrics and /healthz on addr for the length of a
// run (--listen), within the service's default HTTP limits; with no addr
// there are none (nil counts nothing).
func serveMetrics(addr string, stderr io.Writer) (*service.Metrics, func(), error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	m := service.NewMetrics()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usageErr("--listen: %w", err)
	}
	var bounds service.HTTPLimits
	hs := bounds.Server(service.MetricsHandler(m))
	go func() { _ = hs.Serve(bounds.Listener(ln)) }()
	fmt.Fprintf(stderr, "forkscan: metrics on http://%s/metrics\n", ln.Addr())
	return m, func() { _ = hs.Close() }, nil
}
