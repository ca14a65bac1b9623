// Package semline is the semaphore line: a dedicated connection between the
// parent and one worker, length-prefixed protobuf messages over a Unix
// socketpair, that carries the worker's semaphore requests up and the
// parent's grants down.
//
// It is to ipc's gRPC stream what a direct line is to a switchboard. The
// stream carries jobs and results, where batching matters and latency does
// not; a semaphore call is a round trip a scanner blocks on, and a bare
// socket answers it several times faster than the stream, which hands each
// message across more goroutines (BenchmarkSemaphore in package engine;
// figures in the README). A reader with nothing else to do can even wait in
// poll(2) itself (WaitReadable) and be woken by the kernel.
//
// A worker process gets its end as an inherited file descriptor (Pair in
// the parent, New in the child); a worker that runs in the parent's process
// gets the other end of a LocalPair. The package knows nothing of
// semaphores beyond its name: it moves whole frames, and the engine and the
// worker say what they mean.
package semline
