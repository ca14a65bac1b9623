package engine

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
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
// for holds its workers, as an unread pipe holds its writer.
type Run struct {
	cfg       Config
	log       *slog.Logger
	pluginLog hclog.Logger
	scanIndex map[string]int
	lifeline  lifeline
	started   time.Time

	ctx    context.Context // cancelled by the caller, or by an abandoned Results loop
	cancel context.CancelFunc
	// hurry ends with Kill: an interrupted run's stop skips to SIGKILL.
	hurry    context.Context
	hurryNow context.CancelFunc

	mu      sync.Mutex
	procs   []*proc // every worker started, in order
	current []*proc // each slot's worker now
	over    bool    // drained or interrupted: no worker is to start
	holders atomic.Uint64
	retries retries
	aux     sync.WaitGroup // goroutines that may start late: waited for after wg
	ending  chan struct{}  // closed once wg is done: the monitor stops

	queue      chan *job       // producer → senders; bounded
	out        chan []Result   // receivers → Results; bounded
	pending    atomic.Int64    // jobs not yet terminal, plus one while producing
	drained    chan struct{}   // closed when pending reaches zero
	live       atomic.Int32    // workers not lost
	failing    sync.Once       // starts failRest when the last worker is lost
	wg         sync.WaitGroup  // every goroutine of the run
	finished   chan struct{}   // closed once every goroutine has ended
	stopErr    error           // why the run was interrupted; set by watch
	stopReport shutdown.Report // how an interrupted run's workers were stopped; set by watch
	batches    batchPool       // result batches, recycled once read
	sems       *semregistry.Registry
	stats      counters
}

// Start validates cfg, starts the workers, waits until every one is ready,
// and starts feeding them the jobs of jobs. It returns an error wrapping
// ErrConfig for a bad configuration, or ErrWorkerStart if a worker did not
// start; no worker is left running after an error.
//
// Cancelling ctx interrupts the run: no new job is sent, and the workers
// are stopped in phases (package shutdown): asked to stop, given
// Config.Grace while their results are still read, then SIGTERM, then
// SIGKILL. Every result that reached the parent is delivered. Jobs never
// finished are counted in Stats.Unfinished, and Stats.Stop says how each
// worker ended. Kill skips to SIGKILL.
func Start(ctx context.Context, cfg Config, jobs iter.Seq[Job]) (*Run, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Run{
		cfg:       cfg,
		log:       cfg.Logger,
		pluginLog: pluginLogger(cfg.Logger),
		scanIndex: make(map[string]int, len(cfg.Scanners)),
		started:   time.Now(),
		queue:     make(chan *job, queueDepth*cfg.Workers),
		out:       make(chan []Result, 4*cfg.Workers),
		drained:   make(chan struct{}),
		finished:  make(chan struct{}),
		ending:    make(chan struct{}),
		current:   make([]*proc, cfg.Workers),
	}
	r.retries.wake = make(chan struct{}, 1)
	for i, name := range cfg.Scanners {
		r.scanIndex[name] = i
	}
	var err error
	if r.sems, err = semregistry.New(cfg.Semaphores); err != nil {
		return nil, fmt.Errorf("%w: Semaphores: %w", ErrConfig, err)
	}
	if r.lifeline, err = newLifeline(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWorkerStart, err)
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.hurry, r.hurryNow = context.WithCancel(context.Background())
	if err := r.startWorkers(); err != nil {
		r.cancel()
		r.hurryNow()
		r.lifeline.close()
		return nil, err
	}
	r.stats.startTime = time.Since(r.started)
	r.live.Store(int32(len(r.procs)))
	r.pending.Store(1) // the producer's own token, dropped when it is done
	copy(r.current, r.procs)
	r.spawn(func() { r.produce(jobs) })
	r.spawn(r.watch)
	r.spawn(r.feedRetries)
	for _, p := range r.procs {
		r.spawn(func() { r.supervise(p) })
	}
	r.aux.Go(r.monitor)
	go func() {
		r.wg.Wait()
		close(r.ending)
		r.aux.Wait()
		close(r.out)
		r.lifeline.close()
		r.stats.duration = time.Since(r.started)
		r.cancel()
		r.hurryNow()
		close(r.finished)
	}()
	return r, nil
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
					r.cancel()
					return
				}
			}
			r.batches.put(batch)
		}
	}
}

// Wait waits for the run to end, discarding results not read, and returns
// its statistics. Its error is nil unless every worker was lost
// (ErrAllWorkersLost) or the run was interrupted (the context's error).
func (r *Run) Wait() (Stats, error) {
	for range r.out {
	}
	<-r.finished
	st := r.stats.snapshot(r.procs, r.sems) // no worker starts after finished
	st.Stop = r.stopReport
	switch {
	case r.live.Load() == 0 && st.Jobs > 0:
		return st, ErrAllWorkersLost
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
	}
}
