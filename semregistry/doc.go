// Package semregistry is the parent-owned registry of named, weighted
// semaphores that scanner code in any worker process acquires through the
// worker's line to the parent: one limit shared by every worker, not one
// per process.
//
// Each named semaphore admits requests as golang.org/x/sync/semaphore.Weighted
// does: first come, first served, and a large request at the front of the
// queue holds back later small ones instead of starving behind them. The
// difference is how a waiter learns of its grant. x/sync wakes a goroutine
// blocked in Acquire; here Request takes a function, which the goroutine
// that frees the permits calls before its Release returns. In the engine
// that goroutine is the reader of the releasing worker's line, so the
// grant goes straight out on the next worker's line, with no goroutine
// hand-off in between (BenchmarkSemaphore in package engine). Acquire is
// the blocking form, for callers that have a goroutine to spare.
//
// What the registry adds is leases: it records which holder (a worker)
// holds which permits, and ReleaseAll gives back everything a dead worker
// held and ends its queued requests at once, so a crash can never leak a
// permit.
//
// Capacities: a capacity in Config.Capacities (set by the embedding program or
// the CLI's --limit) always wins. Otherwise the first request for a name
// creates the semaphore with the capacity it asks for, and a later request
// asking for a different capacity fails with ErrCapacity. With
// Config.DeclaredOnly, names not in Config.Capacities fail with ErrUndeclared.
//
// The registry knows nothing of processes or gRPC: a holder is a number.
package semregistry
