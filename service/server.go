package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// Config is a server's settings. Data and Roots are needed; every other
// zero value is a usable default.
type Config struct {
	// Data is the directory of the server's state: forkscan.db (SQLite)
	// and scans/ID.jsonl, each scan's records.
	Data string
	// Roots are the trees clients may scan; a requested path must lie
	// inside one of them once symlinks are resolved.
	Roots []string
	// MaxScans is how many scans run at once. If zero, 1.
	MaxScans int
	// MaxQueued is how many scans may wait; one more is refused
	// (ErrQueueFull). If zero, 64.
	MaxQueued int
	// Retain is how long a scan that has ended is kept; older ones are
	// removed with their records. If zero, 24h; negative: kept for ever.
	Retain time.Duration
	// MaxCarryOns is how many times a scan is carried on after the
	// server stopped under it uncleanly: was killed, crashed, or the
	// machine went down, so that the next start finds the scan running.
	// At the next such stop the scan ends failed (ErrTooManyStops)
	// instead of being queued again: a scan that brings the server down
	// on every start is not carried on for ever. A clean stop (Run's
	// context ended: SIGTERM, SIGINT) leaves its scans interrupted and
	// does not count, nor does a scan whose end the database refused
	// (its end is kept beside its records for the next start to write).
	// If zero, 3; negative: no limit.
	MaxCarryOns int
	// Engine is each scan's run: workers, tasks, time limits, the worker
	// command. Its Scanners are the scanners of a request that names
	// none (if none, secrets). Its Registry is the server's (see Limits);
	// of its Semaphores only DeclaredOnly is taken.
	Engine engine.Config
	// Tools are tools the server defines for requests to name, beside
	// the presets (external.Presets); a tool of a preset's name wins.
	Tools []external.Tool
	// SecretsConfig is a gitleaks config the operator names
	// (--secrets-config): every scan's secrets scanner uses it, and it may
	// extend any file. Empty: each scan uses the .gitleaks.toml of the
	// tree it scans, if it has one, which may extend only files of that
	// tree (else gitleaks' default rules).
	SecretsConfig string
	// NoRedact shows secrets in the findings of every scan.
	NoRedact bool
	// Limits caps named semaphores across every scan running at once
	// (exec:TOOL=K), one registry for the whole server.
	Limits map[string]int64
	// GitRemotes are the remote repositories a request may ask the server
	// to clone and scan the history of: patterns over the whole URL (path
	// globs: * within a segment, ** across; "https://github.com/acme/**").
	// Only https, http, ssh and git URLs can match; file URLs, ext::
	// commands and local paths never do (a local repository is named by
	// its path, inside a root). Nil: no remote.
	GitRemotes []string
	// MaxClone is the most bytes a clone of a remote may take on disk;
	// a larger one fails the scan. If zero, 4 GiB.
	MaxClone int64
	// MaxPaths is the most paths a request may name. If zero, 1000.
	MaxPaths int
	// MaxBody is the most bytes a request body may have. If zero, 1 MiB.
	MaxBody int64
	// AllowedHosts are the host names, beside localhost (and its
	// subdomains) and any IP address, that a request's Host may name:
	// the names a server is reached by (forkscan.example.com), without
	// port. A request for another name is refused (421): a web page that
	// rebinds its own name to this server's address cannot read or change
	// anything. A request with the token (see Handler) may name any
	// host. Nil: localhost and IP addresses only.
	AllowedHosts []string
	// Logger gets what the server does and refuses (a path outside the
	// roots, a request refused, are logged as warnings). Nil: nothing is
	// logged.
	Logger *slog.Logger
}

// Server runs scans submitted to it, one record file and one row of its
// database each. Make it with New, serve its Handler, call Run, and
// Close it at the end.
type Server struct {
	cfg     Config
	roots   []string // Roots, absolute and with symlinks resolved
	hosts   []string // AllowedHosts, in lower case
	store   *store
	sems    *semregistry.Registry
	metrics *serverMetrics
	log     *slog.Logger
	started time.Time

	queueMu  sync.Mutex // held while scans leave the queue: to run, or cancelled
	mu       sync.Mutex
	active   map[string]*active // running scans
	stopping bool
	ends     map[string]*Scan // ends the database has not taken yet (see recordEnd)
	endErr   error            // why the database did not take the last of them
	wake     chan struct{}
	wg       sync.WaitGroup

	stopped  chan struct{} // closed once Run has stopped the scans, or at Close
	stopOnce sync.Once
}

// New opens (or makes) the data directory and its database, bringing a
// database of an older forkscan up to date. Scans that were running or
// queued when the server last stopped are queued again, to be carried on
// by Run, but for one the server died under more often than
// Config.MaxCarryOns allows: that one ends failed. A directory that
// cannot be written, or a database of a newer forkscan, is an error.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg.MaxScans = cmp.Or(cfg.MaxScans, 1)
	cfg.MaxQueued = cmp.Or(cfg.MaxQueued, 64)
	cfg.Retain = cmp.Or(cfg.Retain, 24*time.Hour)
	cfg.MaxPaths = cmp.Or(cfg.MaxPaths, 1000)
	cfg.MaxClone = cmp.Or(cfg.MaxClone, 4<<30)
	cfg.MaxBody = cmp.Or(cfg.MaxBody, 1<<20)
	cfg.MaxCarryOns = cmp.Or(cfg.MaxCarryOns, 3)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxScans < 0 || cfg.MaxQueued < 0 {
		return nil, fmt.Errorf("%w: MaxScans and MaxQueued must not be negative", engine.ErrConfig)
	}
	if len(cfg.Roots) == 0 {
		return nil, fmt.Errorf("%w: no root to scan: name at least one", engine.ErrConfig)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, active: map[string]*active{}, ends: map[string]*Scan{}, wake: make(chan struct{}, 1),
		stopped: make(chan struct{}), started: time.Now()}
	var err error
	if s.hosts, err = allowedHosts(cfg.AllowedHosts); err != nil {
		return nil, err
	}
	for _, r := range cfg.Roots {
		abs, err := resolve(r)
		if err != nil {
			return nil, fmt.Errorf("%w: root %s: %w", engine.ErrConfig, r, err)
		}
		s.roots = append(s.roots, abs)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Data, "scans"), 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := writable(cfg.Data); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if s.store, err = openStore(ctx, filepath.Join(cfg.Data, "forkscan.db")); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Data, err)
	}
	sems := semregistry.Config{Capacities: s.capacities(), DeclaredOnly: cfg.Engine.Semaphores.DeclaredOnly}
	if s.sems, err = semregistry.New(sems); err != nil {
		_ = s.store.close()
		return nil, fmt.Errorf("%w: limits: %w", engine.ErrConfig, err)
	}
	s.metrics = newServerMetrics(s)
	if err := s.requeue(ctx); err != nil {
		_ = s.store.close()
		return nil, err
	}
	return s, nil
}

// capacities are the server's limits, with the tools' own.
func (s *Server) capacities() map[string]int64 {
	caps := maps.Clone(s.cfg.Limits)
	if caps == nil {
		caps = map[string]int64{}
	}
	for _, t := range s.cfg.Tools {
		if _, set := caps[t.Semaphore()]; !set && t.Limit > 0 {
			caps[t.Semaphore()] = t.Limit
		}
	}
	return caps
}

// writable checks that dir takes a new file.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// newID is a scan's id: 16 random hex digits, not guessable.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run starts queued scans as slots free up, and removes old ones, until
// ctx ends. Then it stops the running scans in phases (they are left
// interrupted, for the next start to carry on) and returns.
func (s *Server) Run(ctx context.Context) error {
	clean := time.NewTicker(cleanEvery(s.cfg.Retain))
	defer clean.Stop()
	ends := time.NewTicker(endsEvery)
	defer ends.Stop()
	s.removeOld(ctx)
	for {
		s.startQueued(ctx)
		select {
		case <-ctx.Done():
			s.stop()
			s.writeEnds(context.WithoutCancel(ctx))
			s.stopOnce.Do(func() { close(s.stopped) })
			return nil
		case <-s.wake:
		case <-clean.C:
			s.removeOld(ctx)
		case <-ends.C:
			s.writeEnds(ctx)
		}
	}
}

// cleanEvery is how often old scans are looked for.
func cleanEvery(retain time.Duration) time.Duration {
	if retain <= 0 {
		return time.Hour
	}
	return min(max(retain/10, time.Second), time.Hour)
}

// poke wakes Run.
func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stop marks the server stopping and waits for its running scans to stop.
func (s *Server) stop() {
	s.mu.Lock()
	s.stopping = true
	for _, a := range s.active {
		a.stop(false)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Close releases the database. Call it after Run has returned.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stopped) })
	return s.store.close()
}

// startQueued starts the oldest queued scans while slots are free.
func (s *Server) startQueued(ctx context.Context) {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	s.mu.Lock()
	free := s.cfg.MaxScans - len(s.active)
	s.mu.Unlock()
	if free <= 0 || ctx.Err() != nil {
		return
	}
	queued, err := s.store.inStates(ctx, Queued)
	if err != nil {
		s.log.Error("reading the queue", "error", err)
		return
	}
	for _, sc := range queued[:min(free, len(queued))] {
		s.launch(ctx, sc)
	}
}

// removeOld removes the scans that ended longer ago than Retain.
func (s *Server) removeOld(ctx context.Context) {
	if s.cfg.Retain < 0 {
		return
	}
	ids, err := s.store.endedBefore(ctx, time.Now().Add(-s.cfg.Retain))
	if err != nil {
		s.log.Error("looking for old scans", "error", err)
		return
	}
	for _, id := range ids {
		if err := s.remove(ctx, id); err != nil {
			s.log.Error("removing an old scan", "id", id, "error", err)
		}
	}
}

// remove deletes a scan's row and records.
func (s *Server) remove(ctx context.Context, id string) error {
	if err := os.RemoveAll(s.clonesPath(id)); err != nil {
		return err
	}
	if err := os.Remove(s.recordsPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := s.store.delete(ctx, id); err != nil {
		return err
	}
	s.forgetEnd(id)
	return nil
}

// clonesPath is where a scan's clones of remotes are kept while it runs.
func (s *Server) clonesPath(id string) string {
	return filepath.Join(s.cfg.Data, "clones", id)
}

func (s *Server) recordsPath(id string) string {
	return filepath.Join(s.cfg.Data, "scans", id+".jsonl")
}
