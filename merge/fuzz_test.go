package merge_test

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/merge"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
)

// sentinels are the ways a merge is refused.
var sentinels = []error{merge.ErrNotShard, merge.ErrMissing, merge.ErrDuplicate, merge.ErrMismatch, merge.ErrOverlap, merge.ErrPartial, merge.ErrBadLines}

// joinType is the type of errors.Join's errors (fmt.Errorf's of two %w
// unwrap to many errors too, but are one refusal).
var joinType = reflect.TypeOf(errors.Join(io.EOF, io.ErrUnexpectedEOF))

// requireSentinels fails unless every error err joins wraps one of the
// sentinels.
func requireSentinels(t *testing.T, err error) {
	t.Helper()
	if joined, ok := err.(interface{ Unwrap() []error }); ok && reflect.TypeOf(err) == joinType {
		for _, e := range joined.Unwrap() {
			requireSentinels(t, e)
		}
		return
	}
	require.True(t, slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }), "an error of no sentinel: %v", err)
}

// The header and end lines of two or three shards' outputs, as a hostile
// or broken file may have them: whatever they say, a merge neither
// panics nor allocates more than its inputs warrant, and either refuses
// with its sentinels or makes a plan that holds together. A third output
// is merged when its lines are not both empty.
func FuzzShardHeaders(f *testing.F) {
	h := func(i int) string { return headerOf(i, 3) }
	interrupted := `{"type":"end","state":"interrupted","files":1,"bytes":2}`
	f.Add(h(1), finished, h(2), finished, h(3), finished, false)
	f.Add(headerOf(1, 2), finished, headerOf(2, 2), finished, "", "", false)
	f.Add(h(1), finished, h(3), finished, "", "", true)
	f.Add(h(1), finished, h(2), interrupted, h(3), "", true)
	f.Add(headerOf(1, 100_000_000), finished, headerOf(2, 100_000_000), finished, "", "", false)
	f.Add(headerOf(1, record.MaxShards), finished, headerOf(record.MaxShards, record.MaxShards), finished, "", "", true)
	f.Add(headerOf(1, 1<<63-1), finished, h(2), finished, h(3), finished, true)
	f.Add(headerOf(0, 3), finished, headerOf(4, 3), finished, headerOf(-1, 3), finished, true)
	f.Add(strings.Replace(h(1), "}", `,"shards":100000000}`, 1), finished, h(2), finished, h(3), finished, false)
	f.Add(strings.Replace(h(1), `"shards":3`, `"shards":3.5`, 1), finished, h(2), finished, h(3), `{"type":"end","state":"finished","files":-1}`, true)
	f.Add(h(1), finished, h(1), finished, h(2)+"\n"+h(3), finished+"\n"+finished, false)
	dir := f.TempDir() // one input at a time: its files are written over
	f.Fuzz(func(t *testing.T, header1, end1, header2, end2, header3, end3 string, partial bool) {
		names := []string{craft(t, dir, "s1", header1, end1), craft(t, dir, "s2", header2, end2)}
		size := len(header1) + len(end1) + len(header2) + len(end2)
		if header3 != "" || end3 != "" {
			names = append(names, craft(t, dir, "s3", header3, end3))
			size += len(header3) + len(end3)
		}
		var plan *merge.Plan
		var err error
		var tally output.Tally
		bytes := allocated(func() {
			if plan, err = merge.Check(names, merge.Options{AllowPartial: partial}); err != nil {
				return
			}
			w, werr := output.New(io.Discard, output.JSONL, output.Options{})
			require.NoError(t, werr)
			require.NoError(t, plan.Write(w))
			require.NoError(t, w.Close())
			tally = w.Tally()
		})
		// A header line costs some 32 bytes a byte to decode (record's
		// MaxMetaLine), the rest is small: a per-shard allocation for a
		// count of thousands would pass this.
		require.Less(t, bytes, uint64(4<<20+64*size), "allocated for %d bytes of header and end lines", size)

		if err != nil {
			require.Nil(t, plan, "a refusal has no plan")
			requireSentinels(t, err)
			return
		}
		require.NotEmpty(t, plan.Shards)
		count := plan.Shards[0].Header.Shards
		require.LessOrEqual(t, count, record.MaxShards)
		records := 0
		for i, s := range plan.Shards {
			require.Equal(t, count, s.Header.Shards, "one scan's shards")
			require.True(t, s.Header.Shard >= 1 && s.Header.Shard <= count, "shard %s", s.Header)
			if i > 0 {
				require.Less(t, plan.Shards[i-1].Header.Shard, s.Header.Shard, "in order, each once")
			}
			if !partial {
				require.Equal(t, i+1, s.Header.Shard, "a whole scan has every shard")
				require.NotNil(t, s.End)
				require.Equal(t, record.Finished, s.End.State)
				require.Zero(t, s.BadN)
			}
			records += s.Records
		}
		if !partial {
			require.Len(t, plan.Shards, count)
			require.Empty(t, plan.Partial)
		}
		require.LessOrEqual(t, plan.Files, records, "files are counted once")
		require.Equal(t, records, tally.Records, "the plan writes what it counted")
	})
}
