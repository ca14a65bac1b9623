// Package workerproc is the worker process: the serve loop that reads jobs
// from the parent's stream, runs them on M concurrent tasks (parse once,
// then each scanner), and sends results, metrics and completion back up.
//
// A worker is to the forkscan engine what a handler is to net/http: it
// runs what it is given and reports; every decision (retries, timeouts,
// respawns, shutdown) is the parent's. A scanner that panics costs one
// error result, not the worker.
//
// A batch scanner (scan.BatchScanner) is called once for several files:
// an idle task takes its share of the jobs the worker holds and runs the
// group (batch.go), each job still ending in one result per scanner.
//
// Programs do not import it: they call worker.Main, which calls Main here
// in a process the parent started as a worker. The engine runs Serve
// itself in its in-process mode, and sets the environment the Env
// constants name for the processes it starts.
package workerproc
