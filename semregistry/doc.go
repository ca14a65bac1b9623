// Package semregistry will hold the parent-owned registry of named, weighted
// semaphores that scanner code in any worker process can acquire: one limit
// shared by every worker, with per-worker leases released at once when a
// worker dies.
//
// It is to forkscan what golang.org/x/sync/semaphore is to goroutines, across
// processes. The wire messages it will use (SemaphoreRequest,
// SemaphoreRelease, SemaphoreGrant) are already part of the protocol; the
// registry itself is not written yet, and nothing in this module uses it.
package semregistry
