package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/scanrun"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

// active is a running scan.
type active struct {
	scan   *Scan
	cancel context.CancelFunc
	done   chan struct{} // closed when it has ended

	mu          sync.Mutex
	src         *scanrun.Source
	run         *engine.Run
	cancelled   bool             // by the client: ends cancelled, not interrupted
	commitsDone map[string]int64 // jobs of a scan of histories done, by repository
}

// stop stops the scan in phases; byClient says the client asked.
func (a *active) stop(byClient bool) {
	a.mu.Lock()
	a.cancelled = a.cancelled || byClient
	a.mu.Unlock()
	a.cancel()
}

// Submit checks a request and queues it as a new scan.
func (s *Server) Submit(ctx context.Context, req Request) (*Scan, error) {
	req, err := s.check(ctx, req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return nil, ErrStopping
	}
	waiting, err := s.waiting(ctx)
	if err != nil {
		return nil, err
	}
	if waiting >= s.cfg.MaxQueued {
		return nil, ErrQueueFull
	}
	sc := &Scan{ID: newID(), State: Queued, Request: req, Created: time.Now()}
	if err := s.store.insert(ctx, sc); err != nil {
		return nil, err
	}
	s.metrics.submitted.Inc()
	s.poke()
	return sc, nil
}

// waiting counts the scans waiting to start: queued in the database, less
// those being launched (in the live set, their row not yet running, and
// already running to a client that asks). The database is read before
// the live set, so a scan launched in between is not counted.
func (s *Server) waiting(ctx context.Context) (int, error) {
	queued, err := s.store.inStates(ctx, Queued)
	if err != nil {
		return 0, err
	}
	running := s.running()
	n := 0
	for _, sc := range queued {
		if running[sc.ID] == nil {
			n++
		}
	}
	return n, nil
}

// check validates a request and returns it with its paths resolved
// (absolute, symlinks followed) and its scanners settled.
func (s *Server) check(ctx context.Context, req Request) (Request, error) {
	if len(req.Repositories) > 0 {
		var err error
		if req, err = s.checkRepositories(ctx, req); err != nil {
			return req, err
		}
		return s.checkScanners(req)
	}
	switch {
	case len(req.Paths) == 0:
		return req, fmt.Errorf("%w: no paths to scan", ErrBadRequest)
	case len(req.Paths) > s.cfg.MaxPaths:
		return req, fmt.Errorf("%w: %d paths, at most %d", ErrBadRequest, len(req.Paths), s.cfg.MaxPaths)
	}
	paths := make([]string, len(req.Paths))
	for i, p := range req.Paths {
		abs, err := s.inRoots(p)
		if err != nil {
			return req, err
		}
		paths[i] = abs
	}
	req.Paths = paths
	if err := (tree.Filter{Include: req.Include, Exclude: req.Exclude}).Check(); err != nil {
		return req, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return s.checkScanners(req)
}

// checkScanners settles a request's scanners and tools.
func (s *Server) checkScanners(req Request) (Request, error) {
	if len(req.Scanners) == 0 && len(req.Repositories) > 0 { // the server's that read histories
		req.Scanners = slices.DeleteFunc(slices.Clone(cmpOr(s.cfg.Engine.Scanners, []string{secrets.Name})), func(name string) bool {
			def, _ := scan.Lookup(name)
			return !def.History
		})
		if len(req.Scanners) == 0 {
			req.Scanners = []string{secrets.Name}
		}
	}
	if len(req.Scanners) == 0 { // the server's, with exec when tools are asked for
		req.Scanners = slices.DeleteFunc(slices.Clone(cmpOr(s.cfg.Engine.Scanners, []string{secrets.Name})),
			func(name string) bool { return name == external.Name })
		if len(req.Tools) > 0 {
			req.Scanners = append(req.Scanners, external.Name)
		}
	}
	for _, name := range req.Scanners {
		if _, ok := scan.Lookup(name); !ok {
			return req, fmt.Errorf("%w: unknown scanner %q", ErrBadRequest, name)
		}
	}
	if _, err := s.tools(req.Tools); err != nil {
		return req, err
	}
	if len(req.Tools) > 0 != slices.Contains(req.Scanners, external.Name) {
		return req, fmt.Errorf("%w: tools need the exec scanner, and exec needs tools", ErrBadRequest)
	}
	return req, nil
}

func cmpOr[T any](v, or []T) []T {
	if len(v) == 0 {
		return or
	}
	return v
}

// inRoots resolves p and checks it lies inside a root: ".." and
// symlinks out of a root are refused as any other path outside them.
func (s *Server) inRoots(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%w: %q is not an absolute path", ErrBadRequest, p)
	}
	abs, err := resolve(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist", ErrBadRequest, p)
	} else if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrBadRequest, p, err)
	}
	for _, root := range s.roots {
		if within(root, abs) {
			return abs, nil
		}
	}
	s.log.Warn("refused a path outside the roots", "path", p, "resolved", abs)
	return "", fmt.Errorf("%w: %s", ErrForbidden, p)
}

// resolve makes p absolute, clean and free of symlinks.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// tools returns the tools named: the server's own first, then presets.
func (s *Server) tools(names []string) ([]external.Tool, error) {
	var out []external.Tool
	for _, name := range names {
		i := slices.IndexFunc(s.cfg.Tools, func(t external.Tool) bool { return t.Name == name })
		if i >= 0 {
			out = append(out, s.cfg.Tools[i])
			continue
		}
		t, ok := external.Preset(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown tool %q (known: %s, and the server's own)", ErrBadRequest, name, strings.Join(external.PresetNames(), ", "))
		}
		out = append(out, t)
	}
	if len(out) > 0 {
		if err := (external.Options{Tools: out}).Check(); err != nil {
			// a preset that needs a value (semgrep's rules): a request
			// names no file of the server's to read; the server's own
			// [[exec]] table of that name gives it
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	return out, nil
}

// toolFilters leaves the files no exec tool takes out of the exec
// scanner's work: counted, not recorded (scanrun.Filter).
func toolFilters(cfg engine.Config) []scanrun.Filter {
	what, takes := external.FilterOf(cfg.ScannerOptions[external.Name])
	if cfg.History || takes == nil || !slices.Contains(cfg.Scanners, external.Name) {
		return nil
	}
	return []scanrun.Filter{{Scanner: external.Name, What: what, Takes: takes}}
}

// launch starts a queued scan.
func (s *Server) launch(ctx context.Context, sc *Scan) {
	ctx, cancel := context.WithCancel(ctx)
	a := &active{scan: sc, cancel: cancel, done: make(chan struct{}), commitsDone: map[string]int64{}}
	now := time.Now()
	sc.State, sc.Ended = Running, nil
	if sc.Started == nil { // a scan carried on keeps its first start
		sc.Started = &now
	}
	sc.Summary, sc.SummaryText = nil, "" // the last run's, interrupted: this one has not ended
	s.mu.Lock()
	s.active[sc.ID] = a // before the row says running: a reader never finds it neither queued nor running
	s.mu.Unlock()
	// Not with ctx: a cancel that comes now is the run's to honour, and
	// must not make the scan's start fail.
	if err := s.store.update(context.WithoutCancel(ctx), sc); err != nil {
		s.log.Error("starting a scan", "id", sc.ID, "error", err)
		s.mu.Lock()
		delete(s.active, sc.ID)
		s.mu.Unlock()
		cancel()
		close(a.done) // a Cancel that found it waits no longer
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(a.done)
		defer cancel()
		s.execute(ctx, a)
		s.mu.Lock()
		delete(s.active, sc.ID)
		s.mu.Unlock()
		s.poke()
	}()
}

// execute runs a scan to its end and records how it ended.
func (s *Server) execute(ctx context.Context, a *active) {
	sum, err := s.runChecked(ctx, a)
	s.progress(a)
	a.mu.Lock()
	sc := a.scan
	switch {
	case a.cancelled:
		sc.State = Cancelled
	case ctx.Err() != nil:
		sc.State = Interrupted // the server is stopping: its next start carries on
	case err != nil:
		sc.State, sc.Error = Failed, err.Error()
	default:
		sc.State = Done
	}
	if sc.State != Interrupted {
		now := time.Now()
		sc.Ended = &now
		s.removeClones(sc.ID) // an interrupted scan carries on with them at the next start
	}
	if sum != nil {
		sc.Summary, sc.SummaryText = summaryOf(*sum, sc.State), summaryText(*sum)
	}
	ended := *sc
	a.mu.Unlock()
	s.recordEnd(context.WithoutCancel(ctx), &ended)
	s.metrics.ended(ended.State)
	s.log.Info("scan ended", "id", sc.ID, "state", ended.State, "error", ended.Error)
}

// runScan is forkscan scan --resume -o ID.jsonl over the request's paths,
// or forkscan git --resume over its repositories.
func (s *Server) runScan(ctx context.Context, a *active) (*output.Summary, error) {
	req := a.scan.Request
	cfg, err := s.engineConfig(req)
	if err != nil {
		return nil, err
	}
	roots := tree.Roots(req.Paths)
	var walk scanrun.Walk = &tree.Walker{Roots: req.Paths, Filter: tree.Filter{Include: req.Include, Exclude: req.Exclude}, Within: s.roots, Done: ctx.Done()}
	var reached func(context.Context, string, map[string]bool) (map[string]bool, error)
	if len(req.Repositories) > 0 {
		walks, err := s.histories(ctx, a.scan)
		if err != nil {
			return nil, err
		}
		walk, roots, reached = walks, walks.Roots(), walks.Reached
		cfg.History, cfg.HistoryPartBytes, cfg.HistoryPartFiles = true, partBytes, partFiles
		cfg.Within = append(slices.Clone(s.roots), s.clonesPath(a.scan.ID))
	}
	path := s.recordsPath(a.scan.ID)
	prior, rep, err := resume.Load(ctx, path, roots, resume.Options{Within: cfg.Within, MaxSize: cfg.MaxFileSize, History: cfg.History, Reached: reached, Settings: cfg.ScannerSettings(), Warn: func(msg string) {
		s.log.Warn("carrying on a scan", "id", a.scan.ID, "warning", msg)
	}})
	if err != nil {
		return nil, fmt.Errorf("reading the scan's records: %w", err)
	}
	f, err := resume.Append(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	out, err := output.New(f, output.JSONL, output.Options{Roots: roots})
	if err != nil {
		return nil, err
	}
	src := &scanrun.Source{Walker: walk,
		Scanners: cfg.Scanners, Done: prior, Out: out, Filters: toolFilters(cfg)}
	start := time.Now()
	run, err := engine.Start(ctx, cfg, src.Jobs())
	if err != nil {
		_ = out.Close()
		return nil, err
	}
	a.mu.Lock()
	a.src, a.run = src, run
	a.mu.Unlock()
	meter := s.metrics.Follow(run, func() int64 { return out.Tally().Bytes })
	for r := range run.Results() {
		src.Write(r)
		meter.Record(r)
		if cfg.History && r.Scanner == cfg.Scanners[0] {
			a.mu.Lock()
			a.commitsDone[r.Root]++
			a.mu.Unlock()
		}
	}
	st, runErr := run.Wait()
	meter.End(st, out.Tally().Bytes)
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("writing records: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("writing records: %w", err)
	}
	var resumed *resume.Report
	if rep.Kept > 0 || rep.Dropped > 0 {
		resumed = &rep
	}
	sum := src.Summary(st, cfg, time.Since(start), resumed, ctx.Err() != nil)
	if cfg.History {
		sum.Unit = "commits"
	}
	if runErr != nil && !errors.Is(runErr, engine.ErrAllWorkersLost) && ctx.Err() == nil {
		return &sum, runErr
	}
	return &sum, nil
}

// engineConfig is the run of a request: the server's engine settings,
// the request's scanners and their options, the server's registry.
func (s *Server) engineConfig(req Request) (engine.Config, error) {
	cfg := s.cfg.Engine
	cfg.Scanners, cfg.Registry = req.Scanners, s.sems
	cfg.Within = s.roots // every open beneath the server's roots, whatever changed since the scan was submitted
	cfg.ScannerOptions = map[string][]byte{}
	if slices.Contains(req.Scanners, secrets.Name) {
		o, _, err := secrets.Find(secrets.Lookup{Roots: scannedRoots(req), Within: s.roots, Config: s.cfg.SecretsConfig, NoRedact: s.cfg.NoRedact})
		if err != nil {
			return cfg, err
		}
		cfg.ScannerOptions[secrets.Name] = o.Encode()
	}
	if slices.Contains(req.Scanners, external.Name) {
		tools, err := s.tools(req.Tools)
		if err != nil {
			return cfg, err
		}
		cfg.ScannerOptions[external.Name] = external.Options{Tools: tools}.Encode()
	}
	return cfg, nil
}

// progress updates a scan's progress from its run, if it has one.
func (s *Server) progress(a *active) {
	a.mu.Lock()
	src, run := a.src, a.run
	a.mu.Unlock()
	if src == nil {
		return
	}
	c, t, p := src.Walker.Counts(), src.Out.Tally(), run.Progress()
	var repos []RepositoryProgress
	if walks, ok := src.Walker.(scanrun.Histories); ok {
		var running []string
		for _, w := range run.Workers() {
			running = append(running, w.Files...)
		}
		a.mu.Lock()
		repos = repositoryProgress(a.scan, walks, a.commitsDone, running)
		a.mu.Unlock()
	}
	kept, _ := src.Kept()
	untaken, _ := src.Untaken()
	prog := Progress{
		FilesFound: c.Found, WalkEnded: c.Ended, FilesDone: t.Files.Done + t.Files.Failed + t.Files.Unscanned, FilesKept: kept, FilesNotFor: untaken,
		Bytes: t.Bytes, Records: t.Records, Findings: t.Findings, Errors: t.Errors, Retries: p.Retries,
		WorkersLost: p.Restarts, WorkersServed: p.Workers, Repositories: repos,
	}
	a.mu.Lock()
	a.scan.Progress = prog
	a.mu.Unlock()
}

// view is a copy of a running scan as it is now, with its workers.
func (s *Server) view(a *active) *Scan {
	s.progress(a)
	a.mu.Lock()
	sc := *a.scan
	run := a.run
	a.mu.Unlock()
	if run != nil {
		roots := tree.Roots(scannedRoots(sc.Request))
		for _, w := range run.Workers() {
			h := procHealth(strconv.Itoa(w.PID))
			files := make([]WorkerFile, len(w.Files))
			for i, name := range w.Files {
				files[i] = relativeTo(roots, name)
			}
			sc.Workers = append(sc.Workers, Worker{PID: w.PID, RSSBytes: w.RSSBytes, CPUSeconds: h.CPUSeconds, Threads: h.Threads, Files: files})
		}
	}
	return &sc
}

// relativeTo names a file a worker is on as its records will: by the
// root among roots (as tree.Roots makes them) it lies under, the deepest,
// and its path from there. A file under none keeps its name whole.
func relativeTo(roots []string, name string) WorkerFile {
	best := WorkerFile{Path: name}
	for _, root := range roots {
		rel, err := filepath.Rel(root, name)
		if err != nil || rel == "." || !filepath.IsLocal(rel) || len(root) < len(best.Root) {
			continue
		}
		best = WorkerFile{Root: root, Path: rel}
	}
	return best
}

// scannedRoots are the trees a request's scan reads its settings from
// (a .gitleaks.toml): its paths, or its local repositories.
func scannedRoots(req Request) []string {
	roots := slices.Clone(req.Paths)
	for _, r := range req.Repositories {
		if r.Path != "" {
			roots = append(roots, r.Path)
		}
	}
	return roots
}
