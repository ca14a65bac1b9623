package record_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/record"
)

// header is a header line with the fields of a valid one but shard and
// shards as given (JSON text), and more fields after them.
func header(shard, shards, more string) string {
	return fmt.Sprintf(`{"type":"shard","shard":%s,"shards":%s,"split":"hash","roots":["/r"],"scanners":["s"],"settings":"x","version":"v1"%s}`, shard, shards, more)
}

// What ParseMeta makes of lines: a header, an end, neither (a record,
// garbage), or a refusal wrapping ErrBadMeta that says why.
func TestParseMeta(t *testing.T) {
	h, _ := json.Marshal(record.ShardHeader{Shard: 2, Shards: 3, Split: "hash", Roots: []string{"/r"}, Scanners: []string{"s"}, Settings: "x", Version: "v1"})
	e, _ := json.Marshal(record.ShardEnd{State: record.Finished, Files: 3, Bytes: 10, Tree: "ab"})
	roots := `,"roots":[` + strings.Repeat(`"/a/long/root",`, record.MaxMetaLine/15) + `"/r"]`
	cases := []struct {
		name  string
		line  string
		shard string // the header's I/N
		end   string // the end's state
		bad   string // what the refusal says; "" and no shard or end: neither
	}{
		{name: "a header", line: string(h), shard: "2/3"},
		{name: "an end", line: string(e), end: record.Finished},
		{name: "the most shards", line: header("100000", "100000", ""), shard: "100000/100000"},
		{name: "an unknown field", line: header("1", "3", `,"later":[1,{"shards":9}]`), shard: "1/3"},
		{name: "a record", line: `{"root":"/r","path":"a","scanner":"s","status":"ok"}`},
		{name: "another type", line: `{"type":"shardy","shards":100000000}`},
		{name: "not JSON", line: `not json`},
		{name: "count 0", line: header("1", "0", ""), bad: "shard count is 0, not from 1 to 100000"},
		{name: "count negative", line: header("1", "-3", ""), bad: "shard count is -3, not from 1 to 100000"},
		{name: "count 1e8", line: header("1", "100000000", ""), bad: "shard count is 100000000, not from 1 to 100000 (the most shards a scan may have)"},
		{name: "count one over", line: header("1", "100001", ""), bad: "shard count is 100001"},
		{name: "count 2^63-1", line: header("1", "9223372036854775807", ""), bad: "shard count is 9223372036854775807"},
		{name: "count past int64", line: header("1", "9223372036854775808", ""), bad: "cannot unmarshal number 9223372036854775808"},
		{name: "a huge number", line: header("1", "1"+strings.Repeat("0", 100_000), ""), bad: "the header is not as forkscan writes it (json: cannot unmarshal number 1000"},
		{name: "a float", line: header("1", "2.5", ""), bad: "cannot unmarshal number 2.5"},
		{name: "an exponent", line: header("1", "1e8", ""), bad: "cannot unmarshal number 1e8"},
		{name: "a string", line: header("1", `"3"`, ""), bad: "cannot unmarshal string"},
		{name: "null", line: header("1", "null", ""), bad: "shard count is 0"},
		{name: "index 0", line: header("0", "3", ""), bad: "shard index is 0, not from 1 to its count, 3"},
		{name: "index negative", line: header("-1", "3", ""), bad: "shard index is -1"},
		{name: "index over the count", line: header("4", "3", ""), bad: "shard index is 4, not from 1 to its count, 3"},
		{name: "index 2^63-1", line: header("9223372036854775807", "3", ""), bad: "shard index is 9223372036854775807"},
		{name: "count twice", line: header("1", "3", `,"shards":100000000`), bad: `the header names "shards" twice`},
		{name: "count twice, the same", line: header("1", "3", `,"shards":3`), bad: `names "shards" twice`},
		{name: "count twice, other case", line: header("1", "3", `,"SHARDS":100000000`), bad: `names "shards" twice`},
		{name: "count twice, escaped", line: header("1", "3", `,"\u0073hards":100000000`), bad: `names "shards" twice`},
		{name: "count twice, folded", line: header("1", "3", `,"ſhards":100000000`), bad: `names "shards" twice`},
		{name: "type twice", line: header("1", "3", `,"type":"end","state":"finished"`), bad: `names "type" twice`},
		{name: "roots twice", line: header("1", "3", `,"roots":["/elsewhere"]`), bad: `names "roots" twice`},
		{name: "cut short", line: `{"type":"shard","shard":1,"sha`, bad: "not as forkscan writes it"},
		{name: "too long", line: header("1", "3", roots), bad: "the header is longer than 1024 KiB"},
		{name: "an end, state unknown", line: `{"type":"end","state":"paused","files":1}`, bad: "state is neither finished nor interrupted"},
		{name: "an end, no state", line: `{"type":"end"}`, bad: "state is neither"},
		{name: "an end, files negative", line: `{"type":"end","state":"finished","files":-1}`, bad: "counts -1 files of 0 bytes"},
		{name: "an end, bytes negative", line: `{"type":"end","state":"finished","bytes":-9223372036854775808}`, bad: "counts 0 files of -9223372036854775808 bytes"},
		{name: "an end, files a float", line: `{"type":"end","state":"finished","files":1.5}`, bad: "cannot unmarshal number 1.5"},
		{name: "an end, state twice", line: `{"type":"end","state":"interrupted","State":"finished"}`, bad: `the end line names "state" twice`},
		{name: "an end, too long", line: `{"type":"end","state":"finished","tree":"` + strings.Repeat("f", record.MaxMetaLine) + `"}`, bad: "the end line is longer than 1024 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := record.ParseMeta([]byte(c.line + "\n"))
			if c.bad != "" {
				require.ErrorIs(t, err, record.ErrBadMeta)
				require.ErrorContains(t, err, c.bad)
				require.Less(t, len(err.Error()), 400, "a refusal quotes little of the line")
				require.Zero(t, m, "a refused line is neither header nor end")
				return
			}
			require.NoError(t, err)
			switch {
			case c.shard != "":
				require.NotNil(t, m.Header)
				require.Nil(t, m.End)
				require.Equal(t, c.shard, m.Header.String())
			case c.end != "":
				require.NotNil(t, m.End)
				require.Nil(t, m.Header)
				require.Equal(t, c.end, m.End.State)
			default:
				require.Zero(t, m)
			}
		})
	}
}

// A scan checks its header as ParseMeta will: a header it may write is
// one a merge reads back.
func TestShardHeaderCheck(t *testing.T) {
	many := make([]string, 40_000)
	for i := range many {
		many[i] = fmt.Sprintf("/src/a/path/of/some/length/%05d", i)
	}
	cases := []struct {
		name string
		h    record.ShardHeader
		bad  string
	}{
		{name: "one root", h: record.ShardHeader{Shard: 1, Shards: 3, Roots: []string{"/src"}}},
		{name: "the most shards", h: record.ShardHeader{Shard: 7, Shards: record.MaxShards}},
		{name: "thousands of roots", h: record.ShardHeader{Shard: 1, Shards: 3, Roots: many[:20_000]}},
		{name: "too many roots", h: record.ShardHeader{Shard: 1, Shards: 3, Roots: many}, bad: "the header would be longer than 1024 KiB (40000 roots)"},
		{name: "too many shards", h: record.ShardHeader{Shard: 1, Shards: record.MaxShards + 1}, bad: "shard count is 100001"},
		{name: "index 0", h: record.ShardHeader{Shard: 0, Shards: 3}, bad: "shard index is 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.h.Check()
			line, _ := json.Marshal(c.h)
			_, perr := record.ParseMeta(append(line, '\n'))
			if c.bad != "" {
				require.ErrorIs(t, err, record.ErrBadMeta)
				require.ErrorContains(t, err, c.bad)
				require.ErrorIs(t, perr, record.ErrBadMeta, "ParseMeta refuses what Check refuses")
				return
			}
			require.NoError(t, err)
			require.NoError(t, perr)
		})
	}
}

// The dearest header ParseMeta reads, a MiB of empty roots, allocates
// some 32 MiB (garbage at once) and keeps under 5 MiB: what MaxMetaLine's
// doc says.
func TestParseMetaCost(t *testing.T) {
	pre := `{"type":"shard","shard":1,"shards":2,"split":"hash","scanners":["s"],"settings":"x","version":"v1","roots":[`
	line := []byte(pre + strings.Repeat(`"",`, (record.MaxMetaLine-len(pre)-10)/3) + `""]}` + "\n")
	require.LessOrEqual(t, len(line), record.MaxMetaLine)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := record.ParseMeta(line)
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	allocated, kept := after.TotalAlloc-before.TotalAlloc, after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc)
	t.Logf("a header of %d KiB, %d roots: %d KiB allocated, %d KiB kept", len(line)>>10, len(m.Header.Roots), allocated>>10, kept>>10)
	require.Less(t, allocated, uint64(64<<20))
	require.Less(t, kept, uint64(8<<20))
	runtime.KeepAlive(m)
}
