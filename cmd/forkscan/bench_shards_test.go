package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forkscan/forkscan/record"
)

// BenchmarkShards scans one tree ($(go env GOROOT)/src, secrets scanner,
// 2 workers) as 1, 2 and 4 shards, split by hash and by size, the shards
// run one after another (on N machines they would run side by side), and
// merges their outputs; each time beside one unsharded scan of the tree
// (before the shards in even iterations, after them in odd ones).
// Per shard it logs its share of files, bytes and time; it reports the
// slowest shard's time (the wall time N machines would take), the
// unsharded scan's over it (the speed-up), the largest shard's shares of
// files and bytes, and the merge's time.
func BenchmarkShards(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	whole := func() time.Duration {
		return timed(b, cliCommand("scan", "-w", "2", "--tasks", "2", "--no-progress", "-o", os.DevNull, src), -1)
	}
	run := func(dir string, n int, by string) ([]time.Duration, []string) {
		var took []time.Duration
		var files []string
		for i := 1; i <= n; i++ {
			f := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
			took = append(took, timed(b, cliCommand("scan", "-w", "2", "--tasks", "2", "--no-progress", "--shard", fmt.Sprintf("%d/%d", i, n), "--shard-by", by, "-o", f, src), -1))
			files = append(files, f)
		}
		return took, files
	}
	whole() // warm the page cache
	for _, n := range []int{1, 2, 4} {
		for _, by := range []string{"hash", "size"} {
			if n == 1 && by == "size" {
				continue
			}
			b.Run(fmt.Sprintf("shards=%d/by=%s", n, by), func(b *testing.B) {
				var slowest, merging, one time.Duration
				var mostFiles, mostBytes float64
				for i := range b.N {
					// Alternate the pair's order, so neither always runs second.
					if i%2 == 0 {
						one += whole()
					}
					took, files := run(b.TempDir(), n, by)
					if i%2 == 1 {
						one += whole()
					}
					start := time.Now()
					timed(b, cliCommand(append([]string{"merge", "-o", os.DevNull}, files...)...), -1)
					merging += time.Since(start)
					slowest += slices.Max(took)
					f, by := shares(b, files, took)
					mostFiles, mostBytes = max(mostFiles, f), max(mostBytes, by)
				}
				b.ReportMetric(slowest.Seconds()/float64(b.N), "slowest-shard-s")
				b.ReportMetric(one.Seconds()/float64(b.N), "unsharded-s")
				b.ReportMetric(one.Seconds()/slowest.Seconds(), "speedup")
				b.ReportMetric(mostFiles, "most-files-share")
				b.ReportMetric(mostBytes, "most-bytes-share")
				b.ReportMetric(merging.Seconds()/float64(b.N), "merge-s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// shares logs each shard's share of the files, bytes and time, from its
// end line, and returns the largest shares of files and bytes.
func shares(b *testing.B, files []string, took []time.Duration) (mostFiles, mostBytes float64) {
	var ends []record.ShardEnd
	var allFiles, allBytes int64
	for _, f := range files {
		e := lastLine(b, f)
		ends = append(ends, e)
		allFiles, allBytes = allFiles+e.Files, allBytes+e.Bytes
	}
	var all time.Duration
	for _, t := range took {
		all += t
	}
	for i, e := range ends {
		fs, bs := float64(e.Files)/float64(allFiles), float64(e.Bytes)/float64(allBytes)
		b.Logf("shard %d/%d: %5.1f%% of %d files, %5.1f%% of %d bytes, %5.1f%% of the time (%v)",
			i+1, len(files), 100*fs, allFiles, 100*bs, allBytes, 100*took[i].Seconds()/all.Seconds(), took[i].Round(time.Millisecond))
		mostFiles, mostBytes = max(mostFiles, fs), max(mostBytes, bs)
	}
	return mostFiles, mostBytes
}

// lastLine reads a shard output's end line.
func lastLine(b *testing.B, file string) record.ShardEnd {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	m, err := record.ParseMeta([]byte(lines[len(lines)-1]))
	if err != nil || m.End == nil {
		b.Fatalf("%s ends with no end line", file)
	}
	return *m.End
}

// BenchmarkMergeMillion merges three shard outputs of 1,000,000 records in
// all (file, scanner pairs of a tree of 500,000 files, some with findings)
// with the CLI (the binary of cliCommand), to /dev/null. It reports the
// time, records per second, and the merge process's peak resident memory
// beside the outputs' size: a merge streams and holds no records.
func BenchmarkMergeMillion(b *testing.B) {
	const records = 1_000_000
	files, size := millionRecords(b, records)
	var took time.Duration
	var peak int64
	for range b.N {
		cmd := cliCommand(append([]string{"merge", "-o", os.DevNull}, files...)...)
		took += timed(b, cmd, -1)
		peak = max(peak, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss<<10)
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "merge-s")
	b.ReportMetric(float64(records*b.N)/took.Seconds(), "records/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
	b.ReportMetric(float64(size)/(1<<20), "outputs-MiB")
	b.ReportMetric(0, "ns/op")
}

// millionRecords writes three shards' outputs of n records in all: two
// scanners per file, a finding in every tenth file.
func millionRecords(b *testing.B, n int) ([]string, int64) {
	dir := b.TempDir()
	var names []string
	var size int64
	for i := 1; i <= 3; i++ {
		name := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		enc := json.NewEncoder(w)
		check := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		check(enc.Encode(record.ShardHeader{Shard: i, Shards: 3, Split: "hash", Roots: []string{"/src"}, Scanners: []string{"secrets", "inventory"}, Settings: "bench", Version: "bench"}))
		files := 0
		for j := i - 1; j < n/2; j += 3 {
			path := fmt.Sprintf("pkg%03d/sub%02d/file%07d.go", j%997, j%31, j)
			rec := record.Record{Root: "/src", Path: path, Scanner: "secrets", Status: record.StatusOK, Attempts: 1, WorkerPID: 4242, SHA256: make([]byte, 32)}
			if j%10 == 0 {
				rec.Findings = []record.Finding{{Rule: "generic-api-key", Message: "Detected a Generic API Key", Line: j % 300, Column: 5, EndLine: j % 300, EndColumn: 45, Match: "REDACTED"}}
			}
			check(enc.Encode(rec))
			rec.Scanner, rec.Findings, rec.Data = "inventory", nil, json.RawMessage(`{"size":1234,"lines":40,"kind":"text"}`)
			check(enc.Encode(rec))
			files++
		}
		check(enc.Encode(record.ShardEnd{State: record.Finished, Files: int64(files)}))
		check(w.Flush())
		info, err := f.Stat()
		check(err)
		size += info.Size()
		check(f.Close())
		names = append(names, name)
	}
	return names, size
}
