package merge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/merge"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
)

// headerOf is the header line of shard i of n, as a scan writes it.
func headerOf(i, n int) string {
	b, _ := json.Marshal(record.ShardHeader{Shard: i, Shards: n, Split: "hash", Roots: []string{"/r"}, Scanners: []string{"s"}, Settings: "x", Version: "v1"})
	return string(b)
}

// finished is the end line of a shard that finished.
var finished = `{"type":"end","state":"finished","files":2,"bytes":20}`

// craft writes a shard output of header, two records of files of its own
// (named after name) and end, into dir; it returns the file.
func craft(t testing.TB, dir, name, header, end string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for j := range 2 {
		rec, err := json.Marshal(record.Record{Root: "/r", Path: fmt.Sprintf("%s-%d.txt", name, j), Scanner: "s", Status: record.StatusOK, Attempts: 1})
		require.NoError(t, err)
		b.Write(append(rec, '\n'))
	}
	b.WriteString(end + "\n")
	file := filepath.Join(dir, name+".jsonl")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o644))
	return file
}

// allocated is how many bytes run allocates on the heap, in all.
func allocated(run func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Headers a merge refuses, whatever they claim, each naming the file and
// why: shard 2 of three shards' outputs has the header of the case. With
// AllowPartial the file is left out as not a shard's output, and shard 2
// is missing.
func TestMergeRefusesBadHeaders(t *testing.T) {
	cases := []struct {
		name, header, says string
	}{
		{"count 0", `{"type":"shard","shard":2,"shards":0}`, "shard count is 0, not from 1 to 100000"},
		{"count negative", headerOf(2, -3), "shard count is -3"},
		{"count 1e8", headerOf(2, 100_000_000), "shard count is 100000000, not from 1 to 100000 (the most shards a scan may have)"},
		{"count 2^63-1", headerOf(2, 1<<63-1), "shard count is 9223372036854775807"},
		{"count one over", headerOf(2, record.MaxShards+1), "shard count is 100001"},
		{"index 0", headerOf(0, 3), "shard index is 0, not from 1 to its count, 3"},
		{"index negative", headerOf(-2, 3), "shard index is -2"},
		{"index over the count", headerOf(4, 3), "shard index is 4"},
		{"index 2^63-1", headerOf(1<<63-1, 3), "shard index is 9223372036854775807"},
		{"a huge number", strings.Replace(headerOf(2, 3), `"shards":3`, `"shards":1`+strings.Repeat("0", 300), 1), "cannot unmarshal number 1000"},
		{"a float", strings.Replace(headerOf(2, 3), `"shards":3`, `"shards":3.0`, 1), "cannot unmarshal number 3.0"},
		{"an exponent", strings.Replace(headerOf(2, 3), `"shards":3`, `"shards":3e0`, 1), "cannot unmarshal number 3e0"},
		{"count twice", strings.Replace(headerOf(2, 3), `}`, `,"shards":100000000}`, 1), `names "shards" twice`},
		{"count twice, other case", strings.Replace(headerOf(2, 3), `}`, `,"Shards":3}`, 1), `names "shards" twice`},
		{"index twice", strings.Replace(headerOf(2, 3), `}`, `,"shard":1}`, 1), `names "shard" twice`},
		{"type twice", strings.Replace(headerOf(2, 3), `}`, `,"type":"end"}`, 1), `names "type" twice`},
		{"too long", strings.Replace(headerOf(2, 3), `"roots":["/r"`, `"roots":["/r"`+strings.Repeat(`,""`, record.MaxMetaLine/3), 1), "longer than 1024 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			names := []string{
				craft(t, dir, "s1", headerOf(1, 3), finished),
				craft(t, dir, "s2", c.header, finished),
				craft(t, dir, "s3", headerOf(3, 3), finished),
			}
			plan, err := merge.Check(names, merge.Options{})
			require.Nil(t, plan)
			require.ErrorIs(t, err, merge.ErrNotShard)
			require.ErrorIs(t, err, record.ErrBadMeta)
			require.ErrorContains(t, err, names[1]+":1: a bad shard header or end line: ")
			require.ErrorContains(t, err, c.says)

			plan, err = merge.Check(names, merge.Options{AllowPartial: true})
			require.NoError(t, err)
			require.Len(t, plan.Shards, 2)
			require.Contains(t, strings.Join(plan.Partial, "\n"), names[1]+":1: a bad shard header")
			require.Contains(t, strings.Join(plan.Partial, "\n"), "a shard is missing: shard 2/3")
		})
	}
}

// End lines a merge refuses: bad lines, and the shard has no end.
func TestMergeRefusesBadEnds(t *testing.T) {
	cases := []struct{ name, end, says string }{
		{"files negative", `{"type":"end","state":"finished","files":-1,"bytes":0}`, "counts -1 files"},
		{"bytes a float", `{"type":"end","state":"finished","files":1,"bytes":1e300}`, "cannot unmarshal number 1e300"},
		{"state unknown", `{"type":"end","state":"done"}`, "state is neither finished nor interrupted"},
		{"state twice", `{"type":"end","state":"interrupted","state":"finished"}`, `names "state" twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			names := []string{craft(t, dir, "s1", headerOf(1, 2), finished), craft(t, dir, "s2", headerOf(2, 2), c.end)}
			_, err := merge.Check(names, merge.Options{})
			require.ErrorIs(t, err, merge.ErrBadLines)
			require.ErrorIs(t, err, merge.ErrPartial)
			require.ErrorContains(t, err, names[1]+":4: a bad shard header or end line: "+"the end line")
			require.ErrorContains(t, err, c.says)
		})
	}
}

// A header may claim as many shards as a scan may have while a handful
// are given: the merge names what is missing in runs, and allocates what
// its inputs need, not a byte per shard of the count.
func TestMergeHoldsNothingPerShardOfTheCount(t *testing.T) {
	const most = record.MaxShards
	cases := []struct {
		name    string
		shards  []int // the indexes given
		count   int
		err     error
		says    string
		partial bool // AllowPartial merges it
	}{
		{name: "first and last", shards: []int{1, most}, count: most, err: merge.ErrMissing, says: "shards 2-99999 of 100000, 99998 in all", partial: true},
		{name: "three", shards: []int{1, 50_000, most}, count: most, err: merge.ErrMissing, says: "shards 2-49999, 50001-99999 of 100000, 99997 in all", partial: true},
		{name: "one missing", shards: []int{1, 3}, count: 3, err: merge.ErrMissing, says: "shard 2/3 (given: ", partial: true},
		{name: "the last missing", shards: []int{1, 2}, count: most, err: merge.ErrMissing, says: "shards 3-100000 of 100000, 99998 in all", partial: true},
		{name: "many runs", shards: []int{2, 4, 6, 8, 10, 12, 14}, count: most, err: merge.ErrMissing, says: "shards 1, 3, 5, 7, 9, … of 100000, 99993 in all (given: ", partial: true},
		{name: "count 1e8", shards: []int{1, 2, 3}, count: 100_000_000, err: merge.ErrNotShard, says: "not from 1 to 100000"},
		{name: "count 2^63-1", shards: []int{1, 2, 3}, count: 1<<63 - 1, err: merge.ErrNotShard, says: "not from 1 to 100000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var names []string
			for _, i := range c.shards {
				names = append(names, craft(t, dir, fmt.Sprintf("s%d", i), headerOf(i, c.count), finished))
			}
			for _, partial := range []bool{false, true} {
				var plan *merge.Plan
				var err error
				bytes := allocated(func() {
					plan, err = merge.Check(names, merge.Options{AllowPartial: partial})
					if err == nil {
						w, werr := output.New(io.Discard, output.JSONL, output.Options{})
						require.NoError(t, werr)
						require.NoError(t, plan.Write(w))
						require.NoError(t, w.Close())
					}
				})
				t.Logf("allow partial %v: %d KiB allocated", partial, bytes>>10)
				require.Less(t, bytes, uint64(4<<20), "what a merge of a few small files allocates")
				if partial && c.partial {
					require.NoError(t, err)
					require.Len(t, plan.Shards, len(c.shards))
					require.Len(t, plan.Partial, 1, "one line says what is missing")
					require.Contains(t, plan.Partial[0], c.says)
					if len(c.shards) > 5 {
						require.Contains(t, plan.Partial[0], fmt.Sprintf(", and %d more)", len(c.shards)-5), "the first five given are named")
					}
					continue
				}
				require.Nil(t, plan)
				require.ErrorIs(t, err, c.err)
				require.ErrorContains(t, err, c.says)
				require.Less(t, len(err.Error()), 4096, "the message names runs, not every shard")
			}
		})
	}
}

// Inputs of other scans are named, the first few of them, and counted:
// the message does not repeat the first input's header once per input.
func TestMergeNamesFewMismatches(t *testing.T) {
	dir := t.TempDir()
	names := []string{craft(t, dir, "s1", headerOf(1, 20), finished)}
	for i := 2; i <= 20; i++ {
		other := strings.Replace(headerOf(i, 20), `"/r"`, fmt.Sprintf(`"/other%d"`, i), 1)
		names = append(names, craft(t, dir, fmt.Sprintf("s%d", i), other, finished))
	}
	_, err := merge.Check(names, merge.Options{})
	require.ErrorIs(t, err, merge.ErrMismatch)
	require.ErrorContains(t, err, "19 shards in all differ from "+names[0])
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	require.Len(t, joined.Unwrap(), 6, "five named, and the count")
}
