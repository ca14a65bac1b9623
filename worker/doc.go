// Package worker turns a program into its own worker processes. A program
// that embeds forkscan calls Main first thing in main. In the parent, Main
// returns at once; in a process the parent re-exec'd as a worker
// (recognized by the handshake cookie in its environment), Main serves and
// never returns:
//
//	func main() {
//		worker.Main()
//		// ... the program proper: build an engine, feed it jobs.
//	}
//
// It is the same trick as a shell's `exec "$0"` with a flag, or Go's own
// tests re-running the test binary as a helper process: the parent and
// its workers are one binary, so they agree on the scanners registered at
// init without any exchange. The worker process itself (its serve loop,
// tasks, parse step and semaphore client) is forkscan's plumbing, in
// internal/workerproc. A worker runs as batch work: Main puts its threads
// under Linux's SCHED_BATCH policy, which the tools and gits it runs
// inherit (internal/sched); the program that embeds the engine keeps its
// own.
package worker
