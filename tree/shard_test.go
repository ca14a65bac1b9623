package tree_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
)

func TestParseShard(t *testing.T) {
	cases := []struct {
		in   string
		want tree.Shard
		bad  bool
		says string // what the error says, besides the form
	}{
		{in: "1/3", want: tree.Shard{Index: 1, Count: 3}},
		{in: "3/3", want: tree.Shard{Index: 3, Count: 3}},
		{in: "1/1", want: tree.Shard{Index: 1, Count: 1}},
		{in: " 2 / 4 ", want: tree.Shard{Index: 2, Count: 4}},
		{in: "0/3", bad: true},
		{in: "4/3", bad: true},
		{in: "1/0", bad: true},
		{in: "-1/3", bad: true},
		{in: "x", bad: true},
		{in: "", bad: true},
		{in: "3", bad: true},
		{in: "1/3/4", bad: true},
		{in: "a/3", bad: true},
		{in: "1/100000", want: tree.Shard{Index: 1, Count: 100_000}},
		{in: "100000/100000", want: tree.Shard{Index: 100_000, Count: 100_000}},
		{in: "1/100001", bad: true, says: "the count must be from 1 to 100000 (the most shards a scan may have)"},
		{in: "1/100000000", bad: true, says: "from 1 to 100000"},
		{in: "1/9223372036854775807", bad: true, says: "from 1 to 100000"},
		{in: "1/99999999999999999999", bad: true, says: "write I/N"},
		{in: "1/-3", bad: true, says: "from 1 to 100000"},
		{in: "1/1e3", bad: true, says: "write I/N"},
		{in: "1/2.0", bad: true, says: "write I/N"},
		{in: "100001/100000", bad: true, says: "the index must be from 1 to 100000"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := tree.ParseShard(c.in)
			if c.bad {
				require.ErrorIs(t, err, tree.ErrBadShard)
				require.Contains(t, err.Error(), "/", "the message shows the form")
				require.Contains(t, err.Error(), c.says)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
	require.ErrorIs(t, tree.Shard{Index: 1, Count: 2, By: "zipf"}.Check(), tree.ErrBadShard)
	require.Equal(t, record.MaxShards, tree.MaxShards, "the writer's limit is the reader's")
}

// randomTree makes a tree of n files of random sizes (a few of them large,
// sparse) in random directories, plus entries that cannot be scanned (a
// broken symlink, a FIFO) and one that a .gitignore leaves out.
func randomTree(t *testing.T, rng *rand.Rand, n int) string {
	t.Helper()
	root := t.TempDir()
	for i := range n {
		dir := root
		for range rng.IntN(4) {
			dir = filepath.Join(dir, fmt.Sprintf("d%d", rng.IntN(5)))
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d.txt", i))
		write(t, p, "")
		size := rng.Int64N(4096)
		if rng.IntN(20) == 0 {
			size = rng.Int64N(1 << 30) // sparse: a big share of the bytes, no disk
		}
		require.NoError(t, os.Truncate(p, size))
	}
	require.NoError(t, os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "broken")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	write(t, filepath.Join(root, ".gitignore"), "*.log\n")
	write(t, filepath.Join(root, "left-out.log"), "x")
	return root
}

// entries is what a walk yields, as "path" strings, in walk order.
func entries(w *tree.Walker) []string {
	var out []string
	for e := range w.Walk {
		out = append(out, filepath.ToSlash(e.Path))
	}
	return out
}

// TestShardsCoverTheTree: for random trees and every count from 1 to 16,
// with either split, every entry of the whole walk is in exactly one
// shard.
func TestShardsCoverTheTree(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 16))
		root := randomTree(t, rng, 20+rng.IntN(80))
		whole := entries(&tree.Walker{Roots: []string{root}})
		slices.Sort(whole)
		require.Contains(t, whole, "broken")
		require.Contains(t, whole, "fifo")
		for count := 1; count <= 16; count++ {
			for _, by := range tree.Splits {
				var union []string
				var digests []string
				for i := 1; i <= count; i++ {
					w := &tree.Walker{Roots: []string{root}, Shard: tree.Shard{Index: i, Count: count, By: by}}
					union = append(union, entries(w)...)
					digests = append(digests, w.Counts().Tree)
				}
				slices.Sort(union)
				require.Equal(t, whole, union, "seed %d, %d shards by %s: every entry once", seed, count, by)
				require.Len(t, slices.Compact(digests), 1, "every shard saw the same listing")
				if by == tree.BySize {
					require.NotEmpty(t, digests[0])
				}
			}
		}
	}
}

// TestSizeSplitBalances: a tree with a few huge files. Split by size, the
// largest shard is within Graham's bound of the ideal (ideal + the
// largest file) and within 4/3 of the best any split could do; the walk
// counts say each shard's share.
func TestSizeSplitBalances(t *testing.T) {
	root := t.TempDir()
	sizes := []int64{900 << 20, 700 << 20, 650 << 20, 300 << 20}
	for i, s := range sizes {
		p := filepath.Join(root, "big", fmt.Sprintf("b%d.bin", i))
		write(t, p, "")
		require.NoError(t, os.Truncate(p, s))
	}
	for i := range 300 {
		write(t, filepath.Join(root, "small", fmt.Sprintf("s%d.txt", i)), string(make([]byte, 1000+i*37)))
	}
	var total, largest int64
	for e := range (&tree.Walker{Roots: []string{root}}).Walk {
		total += e.Size
		largest = max(largest, e.Size)
	}
	for _, count := range []int{2, 3, 4, 7} {
		var shares []int64
		for i := 1; i <= count; i++ {
			w := &tree.Walker{Roots: []string{root}, Shard: tree.Shard{Index: i, Count: count, By: tree.BySize}}
			_ = entries(w)
			shares = append(shares, w.Counts().Bytes)
		}
		ideal := total / int64(count)
		most := slices.Max(shares)
		require.Equal(t, total, sum(shares))
		require.LessOrEqual(t, most, ideal+largest, "%d shards: %v", count, shares)
		require.LessOrEqual(t, float64(most), 4.0/3*float64(max(ideal, largest)), "%d shards: %v", count, shares)
	}
}

func sum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

func TestHashShardIsStable(t *testing.T) {
	// Part of the output format: a change here splits trees differently
	// from shards of an older forkscan, and their merge is refused.
	cases := []struct {
		path  string
		count int
		want  int
	}{
		{"a.go", 4, 3},
		{"src/b/c.py", 4, 1},
		{filepath.FromSlash("src/b/c.py"), 4, 1},
		{"README.md", 16, 16},
		{"anything", 1, 1},
	}
	for _, c := range cases {
		require.Equal(t, c.want, tree.HashShard(c.path, c.count), "%s of %d", c.path, c.count)
	}
}

// TestShardWalkStopsWhenDone: a walk whose Done is closed yields nothing,
// the listing of a split by size included.
func TestShardWalkStopsWhenDone(t *testing.T) {
	root := randomTree(t, rand.New(rand.NewPCG(1, 2)), 50)
	done := make(chan struct{})
	close(done)
	for _, by := range tree.Splits {
		w := &tree.Walker{Roots: []string{root}, Shard: tree.Shard{Index: 1, Count: 2, By: by}, Done: done}
		require.Empty(t, entries(w))
		require.True(t, w.Counts().Ended)
	}
}
