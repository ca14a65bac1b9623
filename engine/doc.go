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
// Every job ends in exactly one Result per scanner unless the run is
// interrupted, in which case the jobs never finished are counted in
// Stats.Unfinished. An interrupted run stops its workers in phases
// (package shutdown: ask, drain while waiting, SIGTERM, SIGKILL) and still
// delivers every result that reached the parent. Memory does not grow with
// the number of jobs: the queue, each worker's window and the results
// channel are all bounded.
//
// Costs, measured by the benchmarks named (see the README for figures):
// per-job overhead through worker processes (BenchmarkThroughputNoop), and
// time until N workers are ready (BenchmarkStartWorkers), and from SIGINT
// to the exit of the CLI (BenchmarkInterrupt in cmd/forkscan).
package engine
