// Package record is the vocabulary every layer of forkscan speaks: where a
// file is (a root and a path relative to it), what a scanner found in it
// (Finding), how a (file, scanner) pair ended (Status, and an *Error with
// a Category when it failed), and the Record that says all of it, one per
// (file, scanner), as the JSON lines output writes it; for the output of
// one shard of a scan, the ShardHeader and ShardEnd lines around them.
//
// It plays the part that net/url plays for net/http and its clients: the
// shared nouns, with nothing behind them. It imports nothing of forkscan,
// so the scanner contract (worker/scan), the wire (ipc), the engine, the
// walk (tree), the outputs (output) and resume all name these types, and
// none has to translate another's.
package record
