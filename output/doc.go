// Package output writes the records of a scan for people and programs:
// JSON lines (one record.Record a line, the format resume and merge read
// back), SARIF 2.1.0 (for code-scanning services), and text (files with
// findings or errors, for a terminal), plus the summary a scan ends with.
//
// A Writer is to records what a bufio.Writer is to bytes, with two
// promises more: it is safe for concurrent use (the walk's records and the
// engine's results meet in it), and it writes whole lines only, at least
// every half second, so an output cut by a kill is valid to its last line
// and never far behind the run. It also tallies what it wrote, for the
// summary and an exit code.
//
// It knows nothing of the walk or the engine's insides: it takes records,
// and a File per file when the caller wants a file's records kept together
// (text) and files counted.
package output
