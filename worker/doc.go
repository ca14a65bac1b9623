// Package worker is the worker process: the serve loop that reads jobs from
// the parent's stream, runs them on M concurrent tasks (parse once, then each
// scanner), and sends results, metrics and completion back up.
//
// A worker is to the forkscan engine what a handler is to net/http: it runs
// what it is given and reports; every decision (retries, timeouts, respawns,
// shutdown) is the parent's. A scanner that panics costs one error result,
// not the worker.
//
// A program that embeds forkscan calls Main first thing in main. In the
// parent, Main returns at once; in a process the parent re-exec'd as a worker
// (recognized by the handshake cookie in its environment), Main serves and
// never returns:
//
//	func main() {
//		worker.Main()
//		// ... the program proper: build an engine, feed it jobs.
//	}
package worker
