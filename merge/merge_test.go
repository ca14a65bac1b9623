package merge_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/merge"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeShards writes the outputs of count shards of one scan of files
// files (one record each, with data bytes of scanner data), dealt round
// robin; it returns the files and their total size.
func writeShards(t *testing.T, count, files, data int) ([]string, int64) {
	t.Helper()
	dir := t.TempDir()
	facts, _ := json.Marshal(map[string]string{"facts": strings.Repeat("d", data)})
	var names []string
	var total int64
	for i := 1; i <= count; i++ {
		name := filepath.Join(dir, fmt.Sprintf("s%d.jsonl", i))
		f, err := os.Create(name)
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		require.NoError(t, enc.Encode(record.ShardHeader{Shard: i, Shards: count, Split: "hash", Roots: []string{"/r"}, Scanners: []string{"s"}, Settings: "x", Version: "v1"}))
		n := 0
		for j := i - 1; j < files; j += count {
			require.NoError(t, enc.Encode(record.Record{Root: "/r", Path: fmt.Sprintf("d%d/f%07d.txt", j%100, j), Scanner: "s", Status: record.StatusOK, Data: facts, Attempts: 1}))
			n++
		}
		require.NoError(t, enc.Encode(record.ShardEnd{State: record.Finished, Files: int64(n)}))
		require.NoError(t, w.Flush())
		info, err := f.Stat()
		require.NoError(t, err)
		total += info.Size()
		require.NoError(t, f.Close())
		names = append(names, name)
	}
	return names, total
}

// peakHeap samples the live heap while run runs, and returns its peak.
func peakHeap(run func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	run()
	close(stop)
	<-done
	return peak
}

// A merge streams: merging outputs of 30,000 records, each with 1 KiB of
// scanner data (over 30 MiB), the heap grows by less than a quarter of
// them. What it holds per file is a hash and a shard number. (The
// benchmark merges 1,000,000 records with the binary people run.)
func TestMergeHoldsNoRecords(t *testing.T) {
	const files = 30_000
	names, size := writeShards(t, 3, files, 1024)
	runtime.GC()
	before := peakHeap(func() {})
	var plan *merge.Plan
	var tally output.Tally
	peak := peakHeap(func() {
		var err error
		plan, err = merge.Check(names, merge.Options{})
		require.NoError(t, err)
		w, err := output.New(io.Discard, output.JSONL, output.Options{})
		require.NoError(t, err)
		require.NoError(t, plan.Write(w))
		require.NoError(t, w.Close())
		tally = w.Tally()
	})
	require.Equal(t, files, plan.Files)
	require.Equal(t, files, tally.Records)
	grew := peak - min(before, peak)
	t.Logf("merged %d records, %d MiB of shard outputs: the heap grew by %d KiB at most", files, size>>20, grew>>10)
	require.Less(t, grew, uint64(size/4), "the heap's growth is not a quarter of the records' size")
}
