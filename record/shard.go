package record

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The states a shard's output can end in (ShardEnd.State).
const (
	Finished    = "finished"    // the walk ended and every file of the share has its records
	Interrupted = "interrupted" // stopped before that: Ctrl-C, SIGTERM, a run that failed
)

// ShardHeader is the first line of the JSON lines output of one shard of
// a scan spread over machines (`forkscan scan --shard I/N`): what the
// output is a part of, so that a merge can check its pieces belong
// together. It is to a shard's output what a tar header is to a file in
// an archive: the facts needed to put the pieces back, in front of them.
type ShardHeader struct {
	Shard  int    `json:"shard"`  // I of I/N, from 1
	Shards int    `json:"shards"` // N
	Split  string `json:"split"`  // how the tree was split: "hash" or "size"
	// Roots are the scan's roots (tree.Roots): every shard scans the
	// same tree, so every shard names the same ones.
	Roots    []string `json:"roots"`
	Scanners []string `json:"scanners"`
	// Settings is a fingerprint of everything that decides which files
	// are scanned and what their records say: the scanners and their
	// options, the walk's filter, the largest file scanned.
	Settings string `json:"settings"`
	Version  string `json:"version"` // forkscan's
}

// ShardEnd is the last line of a shard's JSON lines output, written when
// the shard's run ends: whether it finished, and what its share of the
// tree was. An output without one was cut short (the process killed).
type ShardEnd struct {
	State string `json:"state"` // Finished or Interrupted
	// Files and Bytes are the entries of the shard's share the walk found
	// (files to scan and entries that cannot be), and the files' sizes;
	// the whole share when the state is Finished.
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
	// Tree, for a split by size, is a digest of the whole tree's listing
	// the split was computed from: shards that saw different trees split
	// it differently, and their digests differ.
	Tree string `json:"tree,omitempty"`
}

// String is "I/N".
func (h ShardHeader) String() string { return fmt.Sprintf("%d/%d", h.Shard, h.Shards) }

// The "type" a header or end line carries; records have none.
const (
	typeShard = "shard"
	typeEnd   = "end"
)

// MarshalJSON writes the header as its line does, with "type":"shard".
func (h ShardHeader) MarshalJSON() ([]byte, error) {
	type plain ShardHeader
	return json.Marshal(struct {
		Type string `json:"type"`
		plain
	}{typeShard, plain(h)})
}

// MarshalJSON writes the end as its line does, with "type":"end".
func (e ShardEnd) MarshalJSON() ([]byte, error) {
	type plain ShardEnd
	return json.Marshal(struct {
		Type string `json:"type"`
		plain
	}{typeEnd, plain(e)})
}

// Meta is a line of an output that is not a record: a shard's header or
// end. At most one of its fields is set.
type Meta struct {
	Header *ShardHeader
	End    *ShardEnd
}

// metaPrefix is how a header or end line begins, as MarshalJSON writes
// it: ParseMeta looks no further into a line without it (a record).
var metaPrefix = []byte(`{"type":"`)

// ParseMeta reads a header or end line, as MarshalJSON wrote it; ok is
// false for anything else (a record, garbage).
func ParseMeta(line []byte) (m Meta, ok bool) {
	if !bytes.HasPrefix(line, metaPrefix) {
		return m, false
	}
	var typed struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(line, &typed) != nil {
		return m, false
	}
	switch typed.Type {
	case typeShard:
		type plain ShardHeader
		var h plain
		if json.Unmarshal(line, &h) != nil || h.Shards < 1 || h.Shard < 1 || h.Shard > h.Shards {
			return m, false
		}
		m.Header = (*ShardHeader)(&h)
	case typeEnd:
		type plain ShardEnd
		var e plain
		if json.Unmarshal(line, &e) != nil || (e.State != Finished && e.State != Interrupted) {
			return m, false
		}
		m.End = (*ShardEnd)(&e)
	default:
		return m, false
	}
	return m, true
}
