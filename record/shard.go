package record

import (
	"encoding/json"
	"fmt"
)

// The states a shard's output can end in (ShardEnd.State).
const (
	Finished    = "finished"    // the walk ended and every file of the share has its records
	Interrupted = "interrupted" // stopped before that: Ctrl-C, SIGTERM, a run that failed
)

// MaxShards is the most shards a scan may be split into: one limit for
// the side that writes shards (tree.Shard.Check, and so --shard,
// --shard-count and the schedulers' variables) and the side that reads
// them (ParseMeta, and so a merge or a resume never takes a header's word
// for more). It is the largest count a scheduler hands out: a Kubernetes
// Indexed Job runs at most 100,000 pods at once (its parallelism limit),
// and 100,000 completions is where its API starts to restrict a Job
// further; a GitHub Actions matrix holds 256 jobs, GitLab's parallel:
// 200. No real scan comes near it; a header that says more is not one.
//
// Nothing a merge holds grows with the count (it holds what its inputs
// hold), so the limit refuses a header that cannot be a real scan's
// rather than saving memory; the writer's side holds 16 bytes a shard
// for a split by size.
const MaxShards = 100_000

// MaxMetaLine is the longest header or end line, newline included, that
// ParseMeta reads and a scan writes. A header's size is its roots' (a
// scan's paths, usually one): 1 MiB holds thousands. The limit bounds
// what reading a hostile header costs: a line of a MiB of empty roots
// ("",) allocates some 32 MiB while ParseMeta decodes it, garbage at
// once, and its header keeps under 5 MiB (TestParseMetaCost).
const MaxMetaLine = 1 << 20

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

// Check reports what would make ParseMeta refuse h's line, as an error
// wrapping ErrBadMeta: a count out of 1 to MaxShards, an index out of 1
// to the count, a line longer than MaxMetaLine (too many roots). A scan
// checks its header before it writes it, so that no shard runs to an
// output that a merge refuses.
func (h ShardHeader) Check() error {
	if err := h.checkCounts(); err != nil {
		return err
	}
	if b, err := h.MarshalJSON(); err != nil || len(b)+1 > MaxMetaLine {
		return fmt.Errorf("%w: the header would be longer than %d KiB (%d roots)", ErrBadMeta, MaxMetaLine>>10, len(h.Roots))
	}
	return nil
}

// checkCounts checks the header's count and index.
func (h ShardHeader) checkCounts() error {
	switch {
	case h.Shards < 1 || h.Shards > MaxShards:
		return fmt.Errorf("%w: the header's shard count is %d, not from 1 to %d (the most shards a scan may have)", ErrBadMeta, h.Shards, MaxShards)
	case h.Shard < 1 || h.Shard > h.Shards:
		return fmt.Errorf("%w: the header's shard index is %d, not from 1 to its count, %d", ErrBadMeta, h.Shard, h.Shards)
	}
	return nil
}

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
