// Package ipc is the plumbing between the forkscan parent and its workers:
// the go-plugin handshake and plugin definition, the typed stream each side
// reads and writes, and the two helpers that keep the stream fast and bounded:
// batching (Gather) and flow control (Credits).
//
// It is to forkscan what net/rpc's codec is to net/rpc: it moves typed
// messages and knows nothing of what they mean. Scanners, retries and
// shutdown policy live elsewhere (worker, engine, shutdown).
//
// The same stream interfaces are served two ways: over gRPC in a child
// process started by go-plugin (Start, Serve), and over channels inside one
// process (Pipe), the in-process mode that benchmarks compare against.
package ipc
