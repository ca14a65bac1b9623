package tree

import (
	"cmp"
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/forkscan/forkscan/record"
)

// Split is how a sharded walk divides a tree.
type Split string

// The splits.
const (
	// ByHash puts a file in the shard its root-relative path hashes to.
	// It streams: a shard decides each file alone, as the walk finds it,
	// and needs no listing. Shares are even in files, and in bytes when
	// no few files outweigh the rest.
	ByHash Split = "hash"
	// BySize lists the whole tree first, then deals its files out largest
	// first, each to the shard with the fewest bytes so far, so the
	// shards' bytes differ as little as they can: for trees where a few
	// huge files would leave one hash shard with most of the work. Each
	// shard holds a path hash and a size per file of the tree while it
	// lists, then a path hash and a shard number.
	BySize Split = "size"
)

// Splits lists the splits, the default first.
var Splits = []Split{ByHash, BySize}

// MaxShards is the most shards a tree may be split into: record's limit,
// the one a merge holds shards' headers to, so that no scan writes a
// shard that a merge refuses for its count.
const MaxShards = record.MaxShards

// ErrBadShard is wrapped by ParseShard and Shard.Check errors.
var ErrBadShard = errors.New("not a shard")

// Shard is one of Count parts of a tree: every shard walks the whole tree
// and keeps its part, decided alone and the same way on every machine, so
// that the parts of shards 1 to Count are the whole tree and no file is in
// two. An entry that cannot be scanned (an error, a skip) goes where its
// path hashes to, whatever the split, since it has no size.
//
// The zero Shard is the whole tree.
type Shard struct {
	Index int   // from 1 to Count
	Count int   // how many shards; 0 for no sharding
	By    Split // "" is ByHash
}

// ParseShard reads "I/N": shard I of N, I from 1 to N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%q is %w: write I/N, shard I of N (2/4: the second of four)", s, ErrBadShard)
	}
	sh := Shard{Index: index, Count: count}
	return sh, sh.Check()
}

// Check reports what is wrong with a shard: a count out of 1 to MaxShards,
// an index out of 1 to Count, an unknown split.
func (s Shard) Check() error {
	switch {
	case s.Count < 1 || s.Count > MaxShards:
		return fmt.Errorf("%s is %w: the count must be from 1 to %d (the most shards a scan may have)", s, ErrBadShard, MaxShards)
	case s.Index < 1 || s.Index > s.Count:
		return fmt.Errorf("%s is %w: the index must be from 1 to %d", s, ErrBadShard, s.Count)
	case s.By != "" && !slices.Contains(Splits, s.By):
		return fmt.Errorf("%w: unknown split %q (known: hash, size)", ErrBadShard, s.By)
	}
	return nil
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Split returns the split, ByHash when none is set.
func (s Shard) Split() Split { return cmp.Or(s.By, ByHash) }

// HashShard is the shard, from 1 to count, that a root-relative path
// hashes to: FNV-1a of the path with forward slashes, mixed by
// SplitMix64's finalizer. It is part of the output format: every shard of
// a scan, on any machine, must compute the same.
func HashShard(path string, count int) int {
	return int(pathHash(path)%uint64(count)) + 1
}

func pathHash(path string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(filepath.ToSlash(path)))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// sizePlan is a split by size of one listing: the shard of each file
// listed (by path hash), and the listing's digest.
type sizePlan struct {
	shard  map[uint64]int32
	digest string
}

// listed is a file of a listing: its path's hash and its size.
type listed struct {
	hash uint64
	size int64
}

// planBySize deals files out largest first (ties by hash), each to the
// shard with the fewest bytes so far (ties to the lowest index): Graham's
// LPT rule, whose largest shard is at most the ideal (the total over
// count) plus the largest file, and at most 4/3 of the best possible.
func planBySize(files []listed, count int) sizePlan {
	slices.SortFunc(files, func(a, b listed) int {
		return cmp.Or(cmp.Compare(b.size, a.size), cmp.Compare(a.hash, b.hash))
	})
	loads := make(loadHeap, count)
	for i := range loads {
		loads[i] = load{shard: int32(i + 1)}
	}
	p := sizePlan{shard: make(map[uint64]int32, len(files))}
	d := sha256.New()
	var b [16]byte
	for _, f := range files {
		if _, seen := p.shard[f.hash]; !seen { // a path twice (two roots) goes with the first
			p.shard[f.hash] = loads[0].shard
			loads[0].bytes += f.size
			heap.Fix(&loads, 0)
		}
		binary.LittleEndian.PutUint64(b[:8], f.hash)
		binary.LittleEndian.PutUint64(b[8:], uint64(f.size))
		d.Write(b[:])
	}
	p.digest = hex.EncodeToString(d.Sum(nil)[:16])
	return p
}

// of is the shard of a path: the plan's, or for a file the listing did
// not have (it appeared since), the hash's.
func (p sizePlan) of(path string, count int) int {
	if s, ok := p.shard[pathHash(path)]; ok {
		return int(s)
	}
	return HashShard(path, count)
}

type load struct {
	bytes int64
	shard int32
}

// loadHeap is a min-heap of shards by bytes, then index.
type loadHeap []load

func (h loadHeap) Len() int { return len(h) }
func (h loadHeap) Less(i, j int) bool {
	return h[i].bytes < h[j].bytes || (h[i].bytes == h[j].bytes && h[i].shard < h[j].shard)
}
func (h loadHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *loadHeap) Push(x any)   { *h = append(*h, x.(load)) }
func (h *loadHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
