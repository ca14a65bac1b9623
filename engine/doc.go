// Package engine is the forkscan parent: it starts a pool of workers, feeds
// them jobs, collects their results and decides everything a worker does
// not (what runs where, what a lost worker means, when the run is over).
//
// A Run is to worker processes what errgroup.Group is to goroutines: start
// it, stream work in, and read one ordered flow of outcomes out. Unlike
// goroutines, a worker can crash alone, be killed, and be capped; see the
// README for why forkscan pays for processes in Go.
//
// The flow of a job:
//
//	jobs (iter.Seq) ─► producer ─► queue ─► sender (per worker, credit window)
//	                                          │ batches of ParseJob
//	                                          ▼
//	Results (iter.Seq) ◄─ collector ◄─ receiver (per worker) ◄─ worker tasks
//
// A worker's life, each state bounded and watched: spawn → handshake →
// Configure (its scanners built) → ready → serving → draining → gone. A
// slot of the pool is kept filled by a supervisor: a worker that dies,
// hangs or overstays any state, its start included (StartTimeout), is
// ended and another started, with paced backoff. Only a failure that would
// repeat on every try (the program cannot run or does not speak the
// protocol, a scanner cannot be built) ends a run early, with
// ErrWorkerStart; when no worker can run at all for LostAfter, the jobs
// left fail and Wait returns ErrAllWorkersLost. A worker that sends what
// no worker would (a result it was not asked for, garbage on its line) is
// ended like one that crashed.
//
// Every job ends in exactly one Result per scanner unless the run is
// interrupted, in which case the jobs never finished are counted in
// Stats.Unfinished. An interrupted run stops its workers in phases
// (package shutdown: ask, drain while waiting, SIGTERM, SIGKILL) and still
// delivers every result that reached the parent; workers still starting
// hold no job and are killed at once. Memory does not grow with the number
// of jobs: the queue, each worker's window and the results channel are
// all bounded, and each window is sized from how long the worker's jobs
// take (see pacer), so slow jobs spread over every worker and fast ones
// travel in batches. A run with a batch scanner (scan.Def.Batch) sizes
// each window as the worker's fair share of the jobs left instead (see
// share), dealt from the queue as an even cross-section of it (see deck),
// since its workers group what they hold into calls of many files.
//
// Costs, measured by the benchmarks named (see the README for figures):
// per-job overhead through worker processes (BenchmarkThroughputNoop), time
// until N workers are ready (BenchmarkStartWorkers here, BenchmarkWorkerStart
// in cmd/forkscan for the shipped binary), slow jobs against the ideal
// (BenchmarkSlowJobs), and from SIGINT to the exit of the CLI
// (BenchmarkInterrupt in cmd/forkscan).
package engine
