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
	"github.com/forkscan/forkscan/tree"
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
		m, err := record.ParseMeta(sc.Bytes())
		require.NoError(t, err, "%s:%d", file, n)
		isMeta := m != record.Meta{}
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
	// crafted is s3 with its header's shard and count as given (JSON text).
	crafted := func(name, shard, shards string) string {
		return edit(t, s[3], dir, name+".jsonl", replace(`{"type":"shard","shard":3,"shards":3,`, `{"type":"shard","shard":`+shard+`,"shards":`+shards+`,`))
	}
	badHeader := func(file string) string { return file + ":1: a bad shard header or end line: the header's " }
	count1e8 := crafted("count-1e8", "3", "100000000")
	count0 := crafted("count-0", "3", "0")
	countNegative := crafted("count-negative", "3", "-3")
	countMax := crafted("count-max", "3", "9223372036854775807")
	indexOver := crafted("index-over", "4", "3")
	index0 := crafted("index-0", "0", "3")
	huge := crafted("huge", "3", "1"+strings.Repeat("0", 100))
	float := crafted("float", "3", "3.0")
	twice := edit(t, s[3], dir, "twice.jsonl", replace(`"split":`, `"shards":100000000,"split":`))
	negativeEnd := edit(t, s[3], dir, "s3-negative-end.jsonl", replace(`"state":"finished","files":`, `"state":"finished","files":-`))
	var most [4]string // s[1..3] as shards 1, 2 and 3 of the most a scan may have
	for i := 1; i <= 3; i++ {
		most[i] = edit(t, s[i], dir, fmt.Sprintf("most-%d.jsonl", i), replace(`"shards":3,`, fmt.Sprintf(`"shards":%d,`, tree.MaxShards)))
	}

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
		{"count 1e8", []string{s[1], s[2], count1e8}, []string{"not a forkscan shard output", badHeader(count1e8) + "shard count is 100000000, not from 1 to 100000 (the most shards a scan may have)"}, true},
		{"count 0", []string{s[1], s[2], count0}, []string{badHeader(count0) + "shard count is 0, not from 1 to 100000"}, true},
		{"count negative", []string{s[1], s[2], countNegative}, []string{badHeader(countNegative) + "shard count is -3, not from 1 to 100000"}, true},
		{"count 2^63-1", []string{s[1], s[2], countMax}, []string{badHeader(countMax) + "shard count is 9223372036854775807, not from 1 to 100000"}, true},
		{"index over the count", []string{s[1], s[2], indexOver}, []string{badHeader(indexOver) + "shard index is 4, not from 1 to its count, 3"}, true},
		{"index 0", []string{s[1], s[2], index0}, []string{badHeader(index0) + "shard index is 0, not from 1 to its count, 3"}, true},
		{"a huge number", []string{s[1], s[2], huge}, []string{huge + ":1: a bad shard header or end line: the header is not as forkscan writes it", "cannot unmarshal number 1000"}, true},
		{"a float", []string{s[1], s[2], float}, []string{float + ":1: a bad shard header or end line: the header is not as forkscan writes it", "cannot unmarshal number 3.0"}, true},
		{"a count twice", []string{s[1], s[2], twice}, []string{twice + `:1: a bad shard header or end line: the header names "shards" twice`}, true},
		{"a bad end line", []string{s[1], s[2], negativeEnd}, []string{"not records", negativeEnd + ":", "the end line counts -", "did not finish", "no end line"}, true},
		{"the most shards, three given", most[1:], []string{"a shard is missing: shards 4-100000 of 100000, 99997 in all", most[1] + " is 1/100000"}, true},

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
	var manyRoots []string // files of as many directories (roots): too many to name in a header
	long := filepath.Join(t.TempDir(), "a-path-long-enough-to-make-the-header-long")
	for i := range 20_000 {
		f := filepath.Join(long, fmt.Sprintf("%05d", i), "f")
		require.NoError(t, os.MkdirAll(filepath.Dir(f), 0o755))
		require.NoError(t, os.WriteFile(f, nil, 0o644))
		manyRoots = append(manyRoots, f)
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
		{name: "the most shards", args: []string{"--shard", "100000/100000"}, shard: "100000/100000"},
		{name: "the most shards, Indexed Job", env: map[string]string{envJobIndex: "99999", envShards: "100000"}, shard: "100000/100000"},
		{name: "count over the most", args: []string{"--shard", "1/100001"}, err: "--shard: 1/100001 is not a shard: the count must be from 1 to 100000 (the most shards a scan may have)"},
		{name: "count 1e8", args: []string{"--shard", "1/100000000"}, err: "the count must be from 1 to 100000"},
		{name: "count past int64", args: []string{"--shard", "1/99999999999999999999"}, err: "write I/N"},
		{name: "flag count over the most", args: []string{"--shard-count", "100001"}, env: map[string]string{envJobIndex: "0"}, err: "--shard-count must be from 1 to 100000 (the most shards a scan may have), got 100001"},
		{name: "env count over the most", env: map[string]string{envJobIndex: "0", envShards: "100000000"}, err: `FORKSCAN_SHARDS="100000000" is not a shard count (a whole number from 1 to 100000`},
		{name: "GitLab total over the most", env: map[string]string{envCIIndex: "1", envCITotal: "9223372036854775807"}, err: `CI_NODE_TOTAL="9223372036854775807" is not a shard count`},
		{name: "job index over the most", env: map[string]string{envJobIndex: "100000", envShards: "100000"}, err: `JOB_COMPLETION_INDEX="100000" is not a job index (a whole number from 0 to 99999)`},
		{name: "job index 2^63-1", env: map[string]string{envJobIndex: "9223372036854775807", envShards: "3"}, err: `JOB_COMPLETION_INDEX="9223372036854775807" is not a job index`},
		{name: "GitLab index over the most", env: map[string]string{envCIIndex: "100001", envCITotal: "100000"}, err: `CI_NODE_INDEX="100001" is not a node index (a whole number from 1 to 100000)`},
		{name: "too many roots for a header", args: append([]string{"--shard", "1/2"}, manyRoots...), err: "--shard 1/2: a bad shard header or end line: the header would be longer than 1024 KiB"},
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
			m, err := record.ParseMeta([]byte(first))
			require.NoError(t, err)
			if c.shard == "" {
				require.Zero(t, m, "a run that is not a shard writes no header")
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

// Shards split by size that listed different trees (a file was added
// between their runs) split them differently: the merge refuses them,
// naming both listings, even with --allow-partial; the same shards of one
// tree merge.
func TestMergeRefusesSizeShardsOfDifferentTrees(t *testing.T) {
	root := t.TempDir()
	for i := range 30 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), strings.Repeat("y", 10*i))
	}
	dir := t.TempDir()
	shard := func(i int, name string) string {
		out := filepath.Join(dir, name)
		code, _, errOut := cli(t, "scan", "-s", "inventory", "--shard", fmt.Sprintf("%d/3", i), "--shard-by", "size", "-o", out, root)
		require.Equal(t, exitOK, code, errOut)
		return out
	}
	s1, s2, s3 := shard(1, "s1.jsonl"), shard(2, "s2.jsonl"), shard(3, "s3.jsonl")
	write(t, filepath.Join(root, "late.txt"), strings.Repeat("z", 150))
	changed := shard(3, "s3-changed.jsonl")
	require.NotEqual(t, readShard(t, s3).end.Tree, readShard(t, changed).end.Tree, "the listings differ")

	code, out, errOut := cli(t, "merge", s1, s2, s3)
	require.Equal(t, exitOK, code, errOut)
	require.NotEmpty(t, out)
	for _, args := range [][]string{{"merge", s1, s2, changed}, {"merge", "--allow-partial", s1, s2, changed}} {
		code, out, errOut = cli(t, args...)
		require.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		require.Empty(t, out, "%v: a refused merge writes nothing", args)
		require.Contains(t, errOut, "split different trees", "%v", args)
		require.Contains(t, errOut, readShard(t, changed).end.Tree, "%v", args)
		require.Contains(t, errOut, changed, "%v", args)
	}
}
