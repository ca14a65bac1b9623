// Package layers holds the test that keeps forkscan's packages layered: an
// import may only point down, from a package to the ones beneath it, never
// up or sideways. The table in layers_test.go says, for every package of the
// module, which of the module's packages it may import:
//
//   - record and proto/forkscan/v1 are the bottom: the vocabulary and the
//     schema, importing nothing of forkscan.
//   - internal/... is plumbing (the wire codecs, the semaphore line, the task
//     board, /proc helpers for tests): record, the schema and one another.
//   - ipc moves messages between the parent and its workers; it knows no
//     scanner, so it never reaches worker/scan.
//   - worker/scan is the scanner contract, on record alone; the scanners
//     (worker/scan/...) sit on the contract.
//   - internal/workerproc, the worker process, serves jobs with the
//     registered scanners but names none of them; worker is its public door
//     (Main).
//   - semregistry and shutdown stand alone.
//   - engine, the parent, sits on ipc, the worker process and those two, and knows
//     nothing of the walk (tree), the formats (output), resume, the CLI or
//     any scanner.
//   - tree, resume and output are libraries for programs around the engine,
//     on record (output also on resume and semregistry); merge joins the
//     outputs of a scan's shards, on resume and output.
//   - scanrun is one scan of trees into an output, on those and the engine;
//     service (forkscan serve) sits on scanrun and may name scanners, since
//     a request names them; neither knows flags.
//   - cmd/... and examples/... are programs: they may import anything.
//
// It is to the import graph what go vet is to code: a check that runs with
// the tests, so a wrong-way import fails at once, naming the file, instead
// of being found when the layers have already grown into each other. A new
// package fails the test until the table names it, so the table stays the
// complete map of the module. Test files are not checked: a test may reach
// for whatever helps it.
package layers
