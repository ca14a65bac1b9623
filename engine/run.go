package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/shutdown"
)

// queueDepth bounds the jobs made but not yet sent, per worker.
const queueDepth = 256

// Run is one run of jobs through a pool of workers. Start it, read Results,
// then always call Wait: a run whose results are neither read nor waited
// for holds its workers, as an unread pipe holds its writer. Start makes
// a Run; the zero value is not usable.
type Run struct {
	cfg       Config
	log       *slog.Logger
	pluginLog hclog.Logger
	scanIndex map[string]int
	settings  []string // each scanner's settings fingerprint, for its records (Config.ScannerSettings)
	batching  bool     // a scanner of the run works in batches: windows are fair shares (see share)
	lifeline  lifeline
	started   time.Time

	ctx    context.Context // cancelled by the caller, or by an abandoned Results loop
	cancel context.CancelCauseFunc
	// hurry ends with Kill: an interrupted run's stop skips to SIGKILL.
	hurry    context.Context
	hurryNow context.CancelFunc
	// starting lasts while the run wants workers to start: it ends when
	// the run is interrupted, has nothing left to do, or gives up on its
	// workers, and a worker still starting then is killed.
	starting     context.Context
	stopStarting context.CancelCauseFunc

	mu          sync.Mutex
	procs       []*proc // every worker enlisted, in order
	current     []*proc // each slot's worker now; nil while it has none
	over        bool    // drained or interrupted: no worker is to start
	ready       bool    // a worker has been ready
	filled      []bool  // each slot has had a worker ready
	unfilled    int     // slots not yet filled
	idleSince   time.Time
	slowStarts  atomic.Int32 // starts given longer for their progress (see watchStart)
	lastFailure *startError  // the last worker that did not start
	cause       error        // why the run could not go on: a permanent start failure, or every worker lost

	retries     retries
	aux         sync.WaitGroup  // goroutines that may start late: waited for after wg
	ending      chan struct{}   // closed once wg is done: the monitor stops
	firstReady  chan struct{}   // closed when the first worker is ready
	noSlots     chan struct{}   // closed when every slot's supervisor has ended
	startTokens chan struct{}   // a token for each worker starting now
	demand      demand          // which slots the jobs so far call for
	slots       atomic.Int32    // slots still supervised
	serving     atomic.Int32    // workers enlisted and not yet ended
	queue       chan *job       // producer → senders; bounded
	deck        deck            // a batch run's queued jobs, dealt from (see deck)
	out         chan []Result   // receivers → Results; bounded
	pending     atomic.Int64    // jobs not yet terminal, plus one while producing
	drained     chan struct{}   // closed when pending reaches zero
	failing     sync.Once       // starts failRest when no slot is left
	failed      atomic.Bool     // failRest ran: the jobs left were failed
	wg          sync.WaitGroup  // every goroutine of the run
	finished    chan struct{}   // closed once every goroutine has ended
	stopErr     error           // why the run was interrupted; set by watch
	stopReport  shutdown.Report // how an interrupted run's workers were stopped; set by watch
	batches     batchPool       // result batches, recycled once read
	sems        *semregistry.Registry
	stats       counters
}

// Start validates cfg, starts the workers and the feeding of the jobs of
// jobs, and returns once a first worker is ready to take them; the other
// workers go on starting meanwhile, and the job source runs from the start
// (a tree is walked while the workers start). Jobs go only to workers that
// are ready.
//
// A worker that exits, is killed, stops or hangs before it is ready is
// replaced, like one that dies serving, with paced backoff; the start of
// each is bounded by StartTimeout. Start returns an error wrapping
// ErrConfig for a bad configuration, and one wrapping ErrWorkerStart when a
// worker fails in a way that would repeat on every try (the program cannot
// be run, does not speak the protocol, or cannot build its scanners) before
// any worker was ready, or when none became ready within LostAfter. No
// worker is left running after an error.
//
// Cancelling ctx interrupts the run: no new job is sent, and the workers
// are stopped in phases (package shutdown): asked to stop, given
// Config.Grace while their results are still read, then SIGTERM, then
// SIGKILL; workers still starting hold no job and are killed at once.
// Every result that reached the parent is delivered. Jobs never finished
// are counted in Stats.Unfinished, and Stats.Stop says how each worker
// ended. Cancelling ctx before Start returns makes it return ctx's error,
// with every worker ended. Kill skips to SIGKILL.
func Start(ctx context.Context, cfg Config, jobs iter.Seq[Job]) (*Run, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := newRun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if r.lifeline, err = newLifeline(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWorkerStart, err)
	}
	r.pending.Store(1) // the producer's own token, dropped when it is done
	r.spawn(func() { r.produce(jobs) })
	r.spawn(r.watch)
	r.spawn(r.feedRetries)
	for slot := range cfg.Workers {
		r.spawn(func() { r.supervise(slot) })
	}
	r.aux.Go(r.monitor)
	go r.end()
	if err := r.awaitReady(); err != nil {
		r.cancel(err)
		for range r.out { // nothing reads them: the run never started
		}
		<-r.finished
		return nil, err
	}
	return r, nil
}

// newRun makes a run of a valid cfg, with nothing started.
func newRun(ctx context.Context, cfg Config) (*Run, error) {
	r := &Run{
		cfg:         cfg,
		log:         cfg.Logger,
		pluginLog:   pluginLogger(cfg.Logger),
		scanIndex:   make(map[string]int, len(cfg.Scanners)),
		batching:    batching(cfg.Scanners),
		started:     time.Now(),
		queue:       make(chan *job, queueDepth*cfg.Workers),
		out:         make(chan []Result, 4*cfg.Workers),
		drained:     make(chan struct{}),
		finished:    make(chan struct{}),
		ending:      make(chan struct{}),
		firstReady:  make(chan struct{}),
		noSlots:     make(chan struct{}),
		current:     make([]*proc, cfg.Workers),
		filled:      make([]bool, cfg.Workers),
		unfilled:    cfg.Workers,
		startTokens: make(chan struct{}, runtime.NumCPU()),
		demand:      newDemand(cfg.Workers, cfg.Tasks),
	}
	r.idleSince = r.started
	r.slots.Store(int32(cfg.Workers))
	r.retries.wake = make(chan struct{}, 1)
	settings := cfg.ScannerSettings()
	for i, name := range cfg.Scanners {
		r.scanIndex[name] = i
		r.settings = append(r.settings, settings[name])
	}
	var err error
	if r.sems = cfg.Registry; r.sems == nil {
		if r.sems, err = semregistry.New(cfg.Semaphores); err != nil {
			return nil, fmt.Errorf("%w: Semaphores: %w", ErrConfig, err)
		}
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	r.hurry, r.hurryNow = context.WithCancel(context.Background())
	r.starting, r.stopStarting = context.WithCancelCause(r.ctx)
	return r, nil
}

// awaitReady waits for the first worker to be ready, or for the run to
// have nothing to do (a source with no jobs). It fails when every slot has
// been retired first, or when the run is interrupted.
func (r *Run) awaitReady() error {
	select {
	case <-r.firstReady:
	case <-r.drained:
	case <-r.noSlots:
	case <-r.ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.firstReady:
		return nil
	case <-r.drained:
		return nil
	default:
	}
	if r.cause != nil {
		return fmt.Errorf("%w: %w", ErrWorkerStart, r.cause)
	}
	return fmt.Errorf("interrupted while the workers started: %w", context.Cause(r.ctx))
}

// end closes the run once every goroutine of it has ended.
func (r *Run) end() {
	r.wg.Wait()
	close(r.ending)
	r.aux.Wait()
	close(r.out)
	r.lifeline.close()
	r.stats.duration = time.Since(r.started)
	r.cancel(nil)
	r.stopStarting(nil)
	r.hurryNow()
	close(r.finished)
}

func (r *Run) spawn(fn func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn()
	}()
}

// Results returns the results in the order they reached the parent. It is
// meant to be ranged over once. Breaking out of the loop interrupts the run,
// as cancelling its context does.
func (r *Run) Results() iter.Seq[Result] {
	return func(yield func(Result) bool) {
		for batch := range r.out {
			for i := range batch {
				if !yield(batch[i]) {
					r.cancel(errResultsAbandoned)
					return
				}
			}
			r.batches.put(batch)
		}
	}
}

// errResultsAbandoned is the cause of a run whose Results loop was left.
var errResultsAbandoned = fmt.Errorf("%w: the Results loop was left", context.Canceled)

// Wait waits for the run to end, discarding results not read, and returns
// its statistics. Its error is nil unless the workers could not go on
// (ErrAllWorkersLost, or a start failure that would repeat: ErrWorkerStart)
// and the jobs left were recorded as errors, or the run was interrupted
// (the context's error).
func (r *Run) Wait() (Stats, error) {
	for range r.out {
	}
	<-r.finished
	st := r.stats.snapshot(r.procs, r.sems) // no worker starts after finished
	st.Stop = r.stopReport
	switch {
	case r.failed.Load():
		if errors.Is(r.cause, ErrAllWorkersLost) {
			return st, r.cause
		}
		return st, fmt.Errorf("%w: %w", ErrWorkerStart, r.cause)
	case r.stopErr != nil && st.Unfinished > 0:
		return st, r.stopErr
	}
	return st, nil
}

// settle marks n jobs terminal.
func (r *Run) settle(n int) {
	r.stats.settled.Add(int64(n))
	r.finish(n)
}

// finish drops n from pending: jobs settled, or the producer's token.
func (r *Run) finish(n int) {
	if n > 0 && r.pending.Add(-int64(n)) == 0 {
		close(r.drained)
	}
}

// batchPool recycles the result batches that travel from the receivers to
// Results: the reader copies each Result out, so a batch it has finished is
// free. It saves an allocation of a few tens of KiB per batch.
type batchPool struct{ p sync.Pool }

func (b *batchPool) get(n int) []Result {
	if s, ok := b.p.Get().(*[]Result); ok && cap(*s) >= n {
		return (*s)[:0]
	}
	return make([]Result, 0, max(n, 64))
}

func (b *batchPool) put(s []Result) {
	clear(s[:cap(s)])
	s = s[:0]
	b.p.Put(&s)
}

// Progress returns how far the run has got. It is cheap (a few atomic
// loads) and safe to call from any goroutine, at any time.
func (r *Run) Progress() Progress {
	c := &r.stats
	return Progress{
		Jobs: int(c.jobs.Load()), Done: int(c.settled.Load()), Results: int(c.results.Load()),
		Errors: int(c.errors.Load()), Findings: int(c.findings.Load()),
		Restarts: int(c.restarts.Load()), Retries: int(c.retries.Load()),
		Workers: int(r.serving.Load()),
	}
}
