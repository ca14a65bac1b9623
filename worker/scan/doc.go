// Package scan is the contract between a scanner and forkscan: what a scanner
// is given (a File, read once by the parse step), what it returns (a Report of
// findings and facts), and how it fails (an *Error with a Category).
//
// It plays the part that database/sql/driver plays for database/sql: scanner
// authors import scan alone, register their scanner by name at init time, and
// never see processes, streams or pools. Because the parent and its workers are
// the same binary, registering in an init function means both sides agree on
// the set of scanners without any exchange.
//
// A scanner is built once per worker process (Def.New), then called
// concurrently by the worker's tasks, so Scan must be safe for concurrent use.
package scan
