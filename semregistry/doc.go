// Package semregistry is the parent-owned registry of named, weighted
// semaphores that scanner code in any worker process acquires through the
// worker's stream: one limit shared by every worker, not one per process.
//
// Each named semaphore is a golang.org/x/sync/semaphore.Weighted, so waiters
// are served first come, first served: a large request blocks later small
// ones instead of starving behind them. What the registry adds is leases: it
// records which holder (a worker) holds which permits, and ReleaseAll gives
// back everything a dead worker held and drops its queued requests at once,
// so a crash can never leak a permit.
//
// Capacities: a capacity in Config.Capacities (set by the embedding program or
// the CLI's --limit) always wins. Otherwise the first request for a name
// creates the semaphore with the capacity it asks for, and a later request
// asking for a different capacity fails with ErrCapacity. With
// Config.DeclaredOnly, names not in Config.Capacities fail with ErrUndeclared.
//
// The registry knows nothing of processes or gRPC: a holder is a number.
package semregistry
