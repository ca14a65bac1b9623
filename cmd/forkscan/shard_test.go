package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/record"
)

// shardTree makes a tree of files of very different sizes (a few of a
// megabyte or more, many of a few bytes, some empty), some saying SECRET,
// plus entries that cannot be scanned: a broken symlink and a FIFO.
func shardTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for i := range 60 {
		size := i * 7
		switch {
		case i%20 == 0:
			size = (i/20 + 1) << 20 // 1, 2 and 3 MiB
		case i%9 == 0:
			size = 0
		}
		body := strings.Repeat("x", size)
		if i%4 == 0 {
			body += "SECRET"
		}
		write(t, filepath.Join(root, fmt.Sprintf("d%d", i%5), fmt.Sprintf("f%02d.txt", i)), body)
	}
	require.NoError(t, os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "broken")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	return root
}

// shardOutput is a shard's output read back: its header, records and end.
type shardOutput struct {
	header  record.ShardHeader
	end     *record.ShardEnd
	records []string // the record lines
}

func readShard(t *testing.T, file string) shardOutput {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var s shardOutput
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		m, isMeta := record.ParseMeta(sc.Bytes())
		switch {
		case n == 1:
			require.NotNil(t, m.Header, "%s: the first line is the header: %s", file, sc.Text())
			s.header = *m.Header
		case isMeta:
			require.NotNil(t, m.End, "%s:%d", file, n)
			s.end = m.End
		default:
			require.Nil(t, s.end, "%s:%d: a record after the end line", file, n)
			s.records = append(s.records, sc.Text())
		}
	}
	return s
}

// runShards runs the shards of args as CLI processes of their own, one
// after another, each writing to a file of dir; it returns the files.
func runShards(t *testing.T, dir string, count int, args ...string) []string {
	t.Helper()
	var files []string
	for i := 1; i <= count; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		c := startCLI(t, append(slices.Clone(args[:len(args)-1]), "--shard", fmt.Sprintf("%d/%d", i, count), "-o", out, args[len(args)-1])...)
		<-c.done
		require.Contains(t, []int{exitOK, exitFindings, exitFailures}, c.cmd.ProcessState.ExitCode(), "shard %d: %s", i, c.stderr.String())
		require.Contains(t, c.stderr.String(), fmt.Sprintf("forkscan: shard %d/%d of the tree", i, count))
		files = append(files, out)
	}
	return files
}

// Three shards, each a CLI process of its own, merged: the same records as
// one run of the whole tree, for either split; split by size, the largest
// shard's bytes are within LPT's bounds of the ideal (total/3): at most
// the ideal plus the largest file, and at most 4/3 of the best split.
func TestShardsMergeToOneRun(t *testing.T) {
	root := shardTree(t)
	args := []string{"scan", "-s", "flagger", "-w", "2", root}
	code, whole, errOut := cli(t, args...)
	require.Equal(t, exitFailures, code, errOut) // the broken symlink
	want := comparable(t, whole)
	require.Len(t, want, 62)

	var total, largest int64
	require.NoError(t, filepath.WalkDir(root, func(_ string, d os.DirEntry, _ error) error {
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			total, largest = total+info.Size(), max(largest, info.Size())
		}
		return nil
	}))

	for _, by := range []string{"hash", "size"} {
		t.Run(by, func(t *testing.T) {
			files := runShards(t, t.TempDir(), 3, append([]string{"scan", "-s", "flagger", "-w", "2", "--shard-by", by}, root)...)
			var shares []int64
			for i, f := range files {
				s := readShard(t, f)
				require.Equal(t, i+1, s.header.Shard)
				require.Equal(t, by, s.header.Split)
				require.Equal(t, []string{root}, s.header.Roots)
				require.NotNil(t, s.end)
				require.Equal(t, record.Finished, s.end.State)
				shares = append(shares, s.end.Bytes)
			}
			require.Equal(t, total, shares[0]+shares[1]+shares[2])
			t.Logf("split by %s: bytes %v (ideal %d, largest file %d)", by, shares, total/3, largest)
			if by == "size" {
				most := slices.Max(shares)
				require.LessOrEqual(t, most, total/3+largest)
				require.LessOrEqual(t, float64(most), 4.0/3*float64(max(total/3, largest)))
			}

			code, merged, errOut := cli(t, append([]string{"merge"}, files...)...)
			require.Equal(t, exitFailures, code, errOut)
			require.Equal(t, want, comparable(t, merged), "the merge is the single run, order aside")
			require.Contains(t, errOut, "forkscan: 62 files, 62 results")
			require.Contains(t, errOut, "merged from 3 shards")
		})
	}
}

// edit writes a copy of the file from into dir/name, with change applied
// to its lines; it returns the copy.
func edit(t *testing.T, from, dir, name string, change func(lines []string) []string) string {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	lines := change(strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n"))
	to := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(to, []byte(strings.Join(lines, "")+"\n"), 0o644))
	return to
}

// Merges that must be refused: each exits 2 with a message naming the
// problem and the shard files; with --allow-partial, the partial ones
// merge what there is, say what is missing, and exit 3.
func TestMergeRefusals(t *testing.T) {
	root := t.TempDir()
	for i := range 30 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), strings.Repeat("y", i))
	}
	dir := t.TempDir()
	var s [4]string // s[1..3]: the shards' outputs
	for i := 1; i <= 3; i++ {
		s[i] = filepath.Join(dir, fmt.Sprintf("s%d.jsonl", i))
		code, _, errOut := cli(t, "scan", "-s", "inventory", "--shard", fmt.Sprintf("%d/3", i), "-o", s[i], root)
		require.Equal(t, exitOK, code, errOut)
	}
	code, _, errOut := cli(t, "scan", "-s", "inventory", "--shard", "3/3", "--exclude", "f0*", "-o", filepath.Join(dir, "other.jsonl"), root)
	require.Equal(t, exitOK, code, errOut)
	plain := filepath.Join(dir, "plain.jsonl")
	code, _, errOut = cli(t, "scan", "-s", "inventory", "-o", plain, root)
	require.Equal(t, exitOK, code, errOut)
	sarif := filepath.Join(dir, "s3.sarif")
	code, _, errOut = cli(t, "scan", "-s", "inventory", "--shard", "3/3", "--format", "sarif", "-o", sarif, root)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, readFile(t, sarif), `"shard": "3/3"`, "a shard's SARIF says what it is in run.properties")

	last := func(lines []string) int { return len(lines) - 1 }
	replace := func(old, new string) func([]string) []string {
		return func(lines []string) []string {
			for i := range lines {
				lines[i] = strings.Replace(lines[i], old, new, 1)
			}
			return lines
		}
	}
	overlap := edit(t, s[2], dir, "s2-overlap.jsonl", func(lines []string) []string {
		return slices.Insert(lines, last(lines), readShard(t, s[1]).records[0]+"\n")
	})
	killed := edit(t, s[3], dir, "s3-killed.jsonl", func(lines []string) []string { return lines[:last(lines)] })
	interrupted := edit(t, s[3], dir, "s3-interrupted.jsonl", replace(`"state":"finished"`, `"state":"interrupted"`))
	garbage := edit(t, s[3], dir, "s3-garbage.jsonl", func(lines []string) []string {
		return slices.Insert(lines, 2, "{not json\n")
	})
	cut := filepath.Join(dir, "s3-cut.jsonl")
	data := []byte(readFile(t, killed))
	require.NoError(t, os.WriteFile(cut, data[:len(data)-20], 0o644))
	otherRoot := edit(t, s[3], dir, "s3-root.jsonl", replace(`"roots":["`+root, `"roots":["/elsewhere`))
	otherVersion := edit(t, s[3], dir, "s3-version.jsonl", replace(`"version":"`, `"version":"v9.9.9-`))

	cases := []struct {
		name    string
		files   []string
		say     []string // what the message says, the files it names among them
		partial bool     // --allow-partial merges it
	}{
		{"a shard missing", []string{s[1], s[2]}, []string{"a shard is missing", "shard 3/3", s[1], s[2]}, true},
		{"a shard twice", []string{s[1], s[2], s[2], s[3]}, []string{"given twice", "shard 2/3", s[2]}, false},
		{"two files of one shard", []string{s[1], s[2], s[3], interrupted}, []string{"given twice", "shard 3/3", s[3], interrupted}, false},
		{"other settings", []string{s[1], s[2], filepath.Join(dir, "other.jsonl")}, []string{"different scans", "settings", s[1], "other.jsonl"}, false},
		{"other roots", []string{s[1], s[2], otherRoot}, []string{"different scans", "roots", "/elsewhere", otherRoot}, false},
		{"other version", []string{s[1], s[2], otherVersion}, []string{"different scans", "version", "v9.9.9-", otherVersion}, false},
		{"a file in two shards", []string{s[1], overlap, s[3]}, []string{"a file is recorded by two shards", s[1], overlap}, false},
		{"an interrupted shard", []string{s[1], s[2], interrupted}, []string{"did not finish", interrupted, "interrupted"}, true},
		{"a killed shard", []string{s[1], s[2], killed}, []string{"did not finish", killed, "no end line"}, true},
		{"a bad line", []string{s[1], s[2], garbage}, []string{"not records", garbage + ":3: not a JSON record"}, true},
		{"cut short", []string{s[1], s[2], cut}, []string{"not records", cut + ":", "cut short", "no end line"}, true},
		{"not a shard's output", []string{s[1], s[2], plain}, []string{"not a forkscan shard output", plain + ":1: not a shard's header but a record"}, true},
		{"SARIF", []string{s[1], s[2], sarif}, []string{"not a forkscan shard output", sarif + ":1: not a shard's header but not a JSON record"}, true},
		{"no such file", []string{s[1], s[2], filepath.Join(dir, "nope.jsonl")}, []string{"nope.jsonl", "no such file"}, true},
		{"no shard at all", []string{plain, sarif}, []string{plain, sarif}, false},
		{"nothing", nil, []string{"name the shards' outputs"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, append([]string{"merge"}, c.files...)...)
			require.Equal(t, exitUsage, code, errOut)
			require.Empty(t, out, "a refused merge writes nothing")
			for _, say := range c.say {
				require.Contains(t, errOut, say)
			}
			code, out, errOut = cli(t, append([]string{"merge", "--allow-partial"}, c.files...)...)
			if !c.partial {
				require.Equal(t, exitUsage, code, "--allow-partial does not let this through: %s", errOut)
				return
			}
			require.Equal(t, exitFailures, code, "a partial merge is never a clean result: %s", errOut)
			require.Contains(t, errOut, "forkscan: merge: partial: ")
			require.NotEmpty(t, out)
		})
	}

	code, _, errOut = cli(t, "merge", "-o", s[1], s[1], s[2], s[3])
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "is one of the shards' outputs")
	require.Contains(t, readFile(t, s[1]), `"type":"end"`, "the input was not emptied")
}

// Which shard a run is, from its flags and the environment a scheduler
// gives it, and the usage errors for what does not make one.
func TestShardFromFlagsAndEnvironment(t *testing.T) {
	root := t.TempDir()
	for i := range 12 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), "z")
	}
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		shard string // the header's I/N; "" for a run that is not a shard
		err   string // a usage error saying this
	}{
		{name: "flag", args: []string{"--shard", "2/3"}, shard: "2/3"},
		{name: "Indexed Job", args: []string{"--shard-count", "3"}, env: map[string]string{envJobIndex: "0"}, shard: "1/3"},
		{name: "Indexed Job, count from env", env: map[string]string{envJobIndex: "2", envShards: "3"}, shard: "3/3"},
		{name: "GitLab", env: map[string]string{envCIIndex: "2", envCITotal: "4"}, shard: "2/4"},
		{name: "flag wins over the index", args: []string{"--shard", "1/3"}, env: map[string]string{envJobIndex: "2", envShards: "3"}, shard: "1/3"},
		{name: "not sharded", shard: ""},
		{name: "index 0", args: []string{"--shard", "0/3"}, err: "--shard: 0/3 is not a shard: the index must be from 1 to 3"},
		{name: "index past the count", args: []string{"--shard", "4/3"}, err: "index must be from 1 to 3"},
		{name: "count 0", args: []string{"--shard", "1/0"}, err: "count must be from 1"},
		{name: "not I/N", args: []string{"--shard", "x"}, err: "write I/N"},
		{name: "index without a count", env: map[string]string{envJobIndex: "1"}, err: "gives a shard index but no count"},
		{name: "GitLab index without a total", env: map[string]string{envCIIndex: "1"}, err: "gives a shard index but no count"},
		{name: "counts differ", args: []string{"--shard", "1/3"}, env: map[string]string{envShards: "4"}, err: "the shard count differs: --shard 1/3, but FORKSCAN_SHARDS=4"},
		{name: "flag counts differ", args: []string{"--shard", "1/3", "--shard-count", "2"}, err: "the shard count differs"},
		{name: "count without an index", args: []string{"--shard-count", "3"}, err: "gives a shard count but no index"},
		{name: "job index past the count", args: []string{"--shard-count", "3"}, env: map[string]string{envJobIndex: "3"}, err: "JOB_COMPLETION_INDEX=3 with --shard-count 3"},
		{name: "job index not a number", env: map[string]string{envJobIndex: "x", envShards: "3"}, err: `JOB_COMPLETION_INDEX="x" is not a job index`},
		{name: "count not a number", env: map[string]string{envJobIndex: "1", envShards: "many"}, err: `FORKSCAN_SHARDS="many" is not a shard count`},
		{name: "unknown split", args: []string{"--shard", "1/2", "--shard-by", "zipf"}, err: `unknown split "zipf"`},
		{name: "split without a shard", args: []string{"--shard-by", "size"}, err: "--shard-by only means something with --shard"},
		{name: "shard and plain resume", args: []string{"--shard", "1/2", "--resume"}, err: "--resume needs --output"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{envJobIndex, envShards, envCIIndex, envCITotal} {
				t.Setenv(name, c.env[name])
			}
			code, out, errOut := cli(t, append(append([]string{"scan", "-s", "inventory", "--format", "jsonl"}, c.args...), root)...)
			if c.err != "" {
				require.Equal(t, exitUsage, code, errOut)
				require.Contains(t, errOut, c.err)
				return
			}
			require.Equal(t, exitOK, code, errOut)
			first, _, _ := strings.Cut(out, "\n")
			m, isMeta := record.ParseMeta([]byte(first))
			if c.shard == "" {
				require.False(t, isMeta, "a run that is not a shard writes no header")
				return
			}
			require.NotNil(t, m.Header, first)
			require.Equal(t, c.shard, m.Header.String())
		})
	}
}

// A shard interrupted with SIGINT says so in its end line, and a merge
// refuses it, naming it; resumed (--resume with the same --shard), it
// finishes, and the merge of the three shards is one run of the tree.
func TestShardInterruptedResumedMerged(t *testing.T) {
	const files = 600
	root, args := sluggishTree(t, files)
	code, whole, errOut := cli(t, append(args, root)...)
	require.Equal(t, exitOK, code, errOut)
	want := comparable(t, whole)

	dir := t.TempDir()
	shards := []string{filepath.Join(dir, "s1.jsonl"), filepath.Join(dir, "s2.jsonl"), filepath.Join(dir, "s3.jsonl")}
	marks := t.TempDir()
	t.Setenv(marksEnv, marks)
	c := startCLI(t, append(args, "--shard", "2/3", "-o", shards[1], root)...)
	waitForMarks(t, marks, 2)
	// Its ~200 files take 200·4ms/4 tasks at least: a moment inside the run.
	time.Sleep(time.Duration(rand.Int64N(int64(100 * time.Millisecond))))
	c.interrupt(t, syscall.SIGINT)
	require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), c.stderr.String())
	cut := readShard(t, shards[1])
	require.NotNil(t, cut.end, "an interrupted shard writes its end line")
	require.Equal(t, record.Interrupted, cut.end.State)
	workers := map[int]bool{}
	if len(cut.records) > 0 { // none, if the signal came before a file was done
		recs := filepath.Join(dir, "records.jsonl")
		require.NoError(t, os.WriteFile(recs, []byte(strings.Join(cut.records, "\n")+"\n"), 0o644))
		_, workers = readOutput(t, recs)
	}
	c.requireNothingLeft(t, workers)

	for _, i := range []int{1, 3} {
		code, _, errOut := cli(t, append(args, "--shard", fmt.Sprintf("%d/3", i), "-o", shards[i-1], root)...)
		require.Equal(t, exitOK, code, errOut)
	}
	code, out, errOut := cli(t, append([]string{"merge"}, shards...)...)
	require.Equal(t, exitUsage, code, errOut)
	require.Empty(t, out)
	require.Contains(t, errOut, shards[1]+" (shard 2/3) was interrupted")

	code, _, errOut = cli(t, append(args, "--shard", "1/3", "--resume", "-o", shards[1], root)...)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, "it is the output of shard 2/3 split by hash, and this run is shard 1/3")

	code, _, errOut = cli(t, append(args, "--shard", "2/3", "--resume", "-o", shards[1], root)...)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, errOut, "forkscan: resumed from "+shards[1])
	done := readShard(t, shards[1])
	require.Equal(t, record.Finished, done.end.State)
	require.Greater(t, len(done.records), len(cut.records))

	code, out, errOut = cli(t, append([]string{"merge"}, shards...)...)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, want, comparable(t, out), "interrupted, resumed and merged: one run of the tree")
}
