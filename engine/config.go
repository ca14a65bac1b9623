package engine

import (
	"fmt"
	"log/slog"
	"os/exec"
	"runtime"
	"time"

	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/worker/scan"
)

// Limits of a configuration. maxScanners: a job's progress is a bit set of
// its scanners. MaxWorkers: each worker is a process of its own (some
// 20 MiB, and tens of milliseconds of CPU to start), so more than this is
// a fork storm, not parallelism. maxTasks and maxWindow bound what a
// worker holds.
const (
	maxScanners = 64
	MaxWorkers  = 256
	maxTasks    = 1 << 10
	maxWindow   = 1 << 16
)

// Config says how to run. Start from DefaultConfig, the settings the CLI
// runs with, and change what you need: every field is taken as it is,
// and zero means zero where zero means something (no retries, no grace,
// no time limit). Only where zero could mean nothing (no workers, no
// tasks, no time to start) does it stand for the default, which the
// field's doc names. So the zero value, with Scanners set, works: one
// worker process per CPU, two tasks each, but no retries, no time limits
// and no grace on Ctrl-C.
type Config struct {
	// Scanners names the registered scanners to run on every job (see
	// scan.Register). Required.
	Scanners []string
	// Workers is the number of worker processes (or goroutine workers in
	// the in-process mode), at most MaxWorkers. They start as the jobs call
	// for them, at most one per CPU at a time (a start is CPU-bound: more
	// at once only delays the first ready). If zero, runtime.NumCPU().
	Workers int
	// Tasks is the number of jobs each worker runs at once. If zero, 2.
	Tasks int
	// Window is the most jobs in flight on one worker: sent, not yet done.
	// Each worker's window adapts below it to how long its jobs take: one
	// job per task, plus as many as its tasks get through in 10ms (so slow
	// jobs spread over every worker, and fast ones travel in batches of up
	// to Window). If zero, 32 per task.
	Window int
	// MaxFileSize makes the parse step skip larger files. If zero, no limit.
	MaxFileSize int64
	// MaxArchiveDepth is how many archives deep the workers read what
	// archives and compressed files hold, for the content scanners
	// (package unpack): 1 reads an archive's members, 2 those of the
	// archives among them too, and so on. Findings in a member name it
	// (record.Finding.Member), in the archive's record. If zero, none: an
	// archive is a file like any other.
	MaxArchiveDepth int
	// MaxArchiveSize, MaxArchiveMembers and MaxArchiveRatio bound one
	// archive, every level counted: the bytes read out of it, its
	// members, and the bytes it expands to per byte of its own (past a
	// MiB). An archive over one is a RESOURCE_LIMIT error that keeps the
	// findings made before. If zero, package unpack's defaults: 1 GiB,
	// 100,000 members, 1000 times.
	MaxArchiveSize    int64
	MaxArchiveMembers int
	MaxArchiveRatio   int
	// History makes every job a commit of a git repository's history
	// rather than a file (package history): the job's Root is the
	// repository, its Path the job's name (a commit, a part of a commit,
	// "staged" or "uncommitted"), and the content scanners read the lines
	// its patch adds, hunk by hunk; each finding names its file
	// (record.Finding.File) and each record its commit (record.Commit).
	// A scanner that reads no content skips every job. HistoryPartBytes
	// and HistoryPartFiles are the split the jobs were made with
	// (history.Split), for the workers to deal a huge commit's files into
	// the same parts. If false, jobs are files.
	History          bool
	HistoryPartBytes int64
	HistoryPartFiles int
	// Within, if set, are the directories every job's root lies in,
	// absolute and with symlinks resolved (a service's roots): a worker
	// opens each root beneath the one that holds it (beneath.OpenDirIn),
	// so a root that was checked once cannot lead elsewhere later. Empty:
	// roots are opened by their names. Either way, a job's file is opened
	// beneath its root.
	Within []string
	// ScannerOptions holds settings for scanners, by scanner name, encoded
	// as each scanner documents (see scan.Def.NewWith): every worker builds
	// its scanners with them. Nil gives none.
	ScannerOptions map[string][]byte
	// Semaphores declares the run-wide named semaphores scanners acquire
	// with scan.Semaphore: capacities set here win over what scanners ask
	// for. The zero value declares none and lets the first request for a
	// name set its capacity (see package semregistry).
	Semaphores semregistry.Config
	// Registry, if set, is where the run's semaphores live instead: one
	// registry shared by several runs, so that a limit holds across all of
	// them (a server's scans running at once). Semaphores is then unused;
	// the registry's own Config declares the capacities, and the run's
	// Stats.Semaphores are the registry's, every run's use together. Nil:
	// a registry of the run's own, made from Semaphores.
	Registry *semregistry.Registry
	// InProcess runs the workers as goroutines in this process, over
	// in-memory streams: no crash isolation, no kill, for debugging and as
	// the baseline the benchmarks compare the process mode with.
	InProcess bool
	// Command returns the command that starts one worker process, not yet
	// started. If nil, this program's own binary (os.Executable) with no
	// arguments: the program must call worker.Main at the top of main.
	// Start sets its process attributes (own process group, parent-death
	// signal) and adds the lifeline file and environment.
	Command func() *exec.Cmd
	// WorkerProcs is the GOMAXPROCS of each worker process. If zero, the
	// CPUs are shared out among the workers, at least one each: a worker
	// with more Ps than its share only wakes idle threads on every
	// hand-off between its goroutines (BenchmarkSemaphore/alone: 45 µs
	// median instead of 70). Negative leaves Go's default. A GOMAXPROCS in
	// the parent's environment wins over either.
	WorkerProcs int
	// StartTimeout bounds the start of each worker, from spawn to Ready:
	// its handshake, and the building of its scanners once configured. A
	// worker not ready in time is killed and another started in its place,
	// unless it is still building its scanners and using the CPU to do it
	// (at least a twentieth of one over the last StartTimeout): a slow or
	// busy machine, not a stuck worker. Such a start is given StartTimeout
	// more at a time, up to three times LostAfter in all. If zero, 10s.
	StartTimeout time.Duration
	// LostAfter is how long the run goes on trying to start workers while
	// none can run and jobs wait (each start failing, paced as crashes
	// are; a start still making progress holds the count): after that, the jobs left end as PROCESS_CRASH errors and Wait
	// (or Start, if no worker was ever ready) returns ErrAllWorkersLost. If
	// zero, 30s.
	LostAfter time.Duration
	// Grace is how long an interrupted run waits for workers to finish after
	// asking them to stop, before it sends SIGTERM; and how long a job may
	// ignore the cancel of its JobTimeout before its worker is killed. Zero:
	// no grace.
	Grace time.Duration
	// TermWait is how long an interrupted run's workers still running after
	// Grace have, once sent SIGTERM, before SIGKILL. Zero: SIGKILL at once.
	TermWait time.Duration
	// KillWait bounds the wait for SIGKILLed workers to be reaped and their
	// last results read. If zero, 1s.
	KillWait time.Duration
	// Retries is how many more times a job is run after a retryable failure
	// (see scan.Error.Retryable) or after its worker died under it. Zero:
	// never.
	Retries int
	// RetryDelay is the wait before the first retry; each later one waits
	// BackoffBase times longer, scaled by a random factor in [0.5, 1.5).
	// Zero: at once.
	RetryDelay time.Duration
	// BackoffBase is the factor between successive retry delays, at least
	// 1. If zero, 2.
	BackoffBase float64
	// JobTimeout bounds one job on a worker. When it passes, the job is
	// cancelled; if it has not ended Grace later, its worker is killed and
	// replaced. Either way the job ends as TIMEOUT, without a retry. Zero:
	// no limit.
	JobTimeout time.Duration
	// Watchdog replaces a worker process that has sent nothing for this
	// long (a worker reports at least once a second): its running jobs are
	// charged an attempt, as for a crash. Zero: never.
	Watchdog time.Duration
	// MemoryLimit caps each worker process's resident memory, in bytes. The
	// worker's Go runtime gets 90% of it as GOMEMLIMIT, and the parent kills
	// a worker whose RSS goes over it; its running jobs are charged an
	// attempt and end as RESOURCE_LIMIT. If zero, no limit.
	MemoryLimit int64
	// MaxJobsPerWorker replaces a worker process after it has been sent this
	// many jobs, for scanners that leak. If zero, no limit.
	MaxJobsPerWorker int
	// Logger receives the engine's logging, all at debug level except real
	// trouble. If nil, slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings forkscan's CLI runs with, the ones
// to start a Config from: a worker per CPU, two tasks each, two retries
// a second apart and doubling, a minute per job, a 10s watchdog, 10s to
// start a worker, 30s without any before a run gives up, and 2s of grace
// then 500ms after SIGTERM on Ctrl-C. Set Scanners, and change what you
// need.
func DefaultConfig() Config {
	return Config{
		Workers:      runtime.NumCPU(),
		Tasks:        2,
		StartTimeout: 10 * time.Second,
		LostAfter:    30 * time.Second,
		Grace:        2 * time.Second,
		TermWait:     500 * time.Millisecond,
		KillWait:     time.Second,
		Retries:      2,
		RetryDelay:   time.Second,
		BackoffBase:  2,
		JobTimeout:   time.Minute,
		Watchdog:     10 * time.Second,
	}
}

// withDefaults fills the fields whose zero stands for the default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Workers = or(c.Workers, d.Workers)
	c.Tasks = or(c.Tasks, d.Tasks)
	c.Window = or(c.Window, 32*c.Tasks)
	c.WorkerProcs = or(c.WorkerProcs, max(1, runtime.NumCPU()/c.Workers))
	c.StartTimeout = or(c.StartTimeout, d.StartTimeout)
	c.LostAfter = or(c.LostAfter, d.LostAfter)
	c.KillWait = or(c.KillWait, d.KillWait)
	c.BackoffBase = or(c.BackoffBase, d.BackoffBase)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// or returns v, or def if v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (c Config) validate() error {
	switch {
	case !(c.BackoffBase >= 1): // NaN too
		return fmt.Errorf("%w: BackoffBase is %v, at least 1", ErrConfig, c.BackoffBase)
	case c.Retries < 0 || c.RetryDelay < 0 || c.Grace < 0 || c.TermWait < 0 || c.JobTimeout < 0 || c.Watchdog < 0:
		return fmt.Errorf("%w: Retries, RetryDelay, Grace, TermWait, JobTimeout and Watchdog may not be negative (zero means none)", ErrConfig)
	case c.StartTimeout < 0 || c.LostAfter < 0 || c.KillWait < 0:
		return fmt.Errorf("%w: StartTimeout, LostAfter and KillWait may not be negative", ErrConfig)
	case c.MemoryLimit < 0:
		return fmt.Errorf("%w: MemoryLimit is %d", ErrConfig, c.MemoryLimit)
	case c.MaxJobsPerWorker < 0:
		return fmt.Errorf("%w: MaxJobsPerWorker is %d", ErrConfig, c.MaxJobsPerWorker)
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return fmt.Errorf("%w: Workers is %d, at most %d", ErrConfig, c.Workers, MaxWorkers)
	case c.Tasks < 0 || c.Tasks > maxTasks:
		return fmt.Errorf("%w: Tasks is %d, at most %d", ErrConfig, c.Tasks, maxTasks)
	case c.Window < 0 || c.Window > maxWindow:
		return fmt.Errorf("%w: Window is %d, at most %d", ErrConfig, c.Window, maxWindow)
	case c.MaxFileSize < 0:
		return fmt.Errorf("%w: MaxFileSize is %d", ErrConfig, c.MaxFileSize)
	case c.MaxArchiveDepth < 0 || c.MaxArchiveSize < 0 || c.MaxArchiveMembers < 0 || c.MaxArchiveRatio < 0:
		return fmt.Errorf("%w: a negative archive limit (depth %d, size %d, members %d, ratio %d)", ErrConfig,
			c.MaxArchiveDepth, c.MaxArchiveSize, c.MaxArchiveMembers, c.MaxArchiveRatio)
	case len(c.Scanners) == 0:
		return fmt.Errorf("%w: no scanners", ErrConfig)
	case len(c.Scanners) > maxScanners:
		return fmt.Errorf("%w: %d scanners, at most %d", ErrConfig, len(c.Scanners), maxScanners)
	}
	seen := make(map[string]bool)
	for _, name := range c.Scanners {
		if _, ok := scan.Lookup(name); !ok {
			return fmt.Errorf("%w %q (registered: %v)", ErrUnknownScanner, name, scan.Names())
		}
		if seen[name] {
			return fmt.Errorf("%w: scanner %q named twice", ErrConfig, name)
		}
		seen[name] = true
	}
	return nil
}
