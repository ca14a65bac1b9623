package external_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// finder is a tool that takes many files: it logs how many it was given
// (a line to $LOG), then reports a finding, in the format $FMT says, for
// each file that holds FIND; it crashes when given a file named crash*,
// hangs on one named hang*, exits 3 on one named fail*, and names a file it
// was not given when given one named stray*.
const finder = `echo "$PPID $#" >> "$LOG"
for f in "$@"; do
  case "$(basename -- "$f")" in
    crash*) kill -SEGV $$ ;;
    hang*) sleep 30 ;;
    fail*) echo "cannot read $f" >&2; exit 3 ;;
  esac
done
sep=""
[ "$FMT" = json ] && printf '['
[ "$FMT" = sarif ] && printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"finder"}},"results":['
for f in "$@"; do
  case "$(basename -- "$f")" in stray*) f=/elsewhere/stray.py ;; esac
  grep -q FIND "$f" 2>/dev/null || [ "$f" = /elsewhere/stray.py ] || continue
  case "$FMT" in
    json) printf '%s{"filename":"%s","line":1,"rule":"find"}' "$sep" "$f" ;;
    jsonl) printf '{"file":"%s","line":2,"rule":"find"}\n' "$(realpath -m --relative-to=. "$f")" ;;
    sarif) printf '%s{"ruleId":"find","message":{"text":"found"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file://%s"},"region":{"startLine":3}}}]}' "$sep" "$f" ;;
  esac
  sep=","
done
[ "$FMT" = json ] && printf ']'
[ "$FMT" = sarif ] && printf ']}]}'
exit 0`

// batchTool returns the finder tool printing format, with its log.
func batchTool(t *testing.T, format string) (external.Tool, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "runs.log")
	t.Setenv("LOG", log)
	t.Setenv("FMT", format)
	return external.Tool{Name: "finder", Command: []string{script(t, dir, "finder", finder), "{}"}, Format: format}, log
}

// runs reads the finder's log: how many files each run was given.
func runs(t *testing.T, log string) []int {
	t.Helper()
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	var counts []int
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.Fields(line)
		n, err := strconv.Atoi(fields[len(fields)-1])
		require.NoError(t, err)
		counts = append(counts, n)
	}
	return counts
}

// files makes a file for each name (holding FIND when find says so) and
// returns them as a batch.
func files(t *testing.T, names []string, find func(string) bool) []*scan.File {
	t.Helper()
	dir := t.TempDir()
	var out []*scan.File
	for _, n := range names {
		body := "nothing\n"
		if find(n) {
			body = "FIND\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644))
		out = append(out, &scan.File{Root: dir, Path: n})
	}
	return out
}

func batchScanner(t *testing.T, tools ...external.Tool) scan.BatchScanner {
	t.Helper()
	return build(t, tools...).(scan.BatchScanner)
}

// One run for a whole batch, in each output format; each finding comes
// back to the file it names, whatever its name (spaces, a leading dash).
func TestBatchRunsManyFilesAtOnce(t *testing.T) {
	names := []string{"a.py", "b c.py", "-dash.py", "d.py", "e.py", "f.py"}
	find := func(n string) bool { return n != "d.py" && n != "f.py" }
	for _, format := range []string{"json", "jsonl", "sarif"} {
		t.Run(format, func(t *testing.T) {
			tool, log := batchTool(t, format)
			batch := files(t, names, find)
			outs := batchScanner(t, tool).ScanBatch(context.Background(), batch)
			require.Len(t, outs, len(names))
			for k, o := range outs {
				require.NoError(t, o.Err, names[k])
				if find(names[k]) {
					require.Len(t, o.Report.Findings, 1, names[k])
					require.Equal(t, "finder/find", o.Report.Findings[0].Rule)
				} else {
					require.Empty(t, o.Report.Findings, names[k])
				}
			}
			require.Equal(t, []int{len(names)}, runs(t, log), "one run for the batch")
		})
	}
}

// A run that fails is split in halves until the failing file is alone:
// it gets the failure with its category, every other file its findings,
// and the runs stay within 1 + 2·log2(n).
func TestBatchIsolatesFailures(t *testing.T) {
	cases := []struct {
		bad      string
		category scan.Category
		says     string
	}{
		{"crash.py", scan.ProcessCrash, "signal"},
		{"hang.py", scan.Timeout, "timeout"},
		{"fail.py", scan.ToolError, "cannot read"},
		{"stray.py", 0, ""}, // alone, its run's finding is its own
	}
	for _, c := range cases {
		t.Run(c.bad, func(t *testing.T) {
			tool, log := batchTool(t, "json")
			tool.OKExit = []int{0}
			// Long enough for any run of the script on a loaded machine: a
			// run that timed out would be split too, and the count be off.
			// The hanging file's runs are the ones that time out.
			tool.Timeout = testwait.Bound(4 * time.Second)
			names := []string{"a.py", "b.py", "c.py", "d.py", "e.py", c.bad, "g.py", "h.py"}
			outs := batchScanner(t, tool).ScanBatch(context.Background(), files(t, names, func(string) bool { return true }))
			for k, o := range outs {
				if names[k] == c.bad && c.category != 0 {
					require.ErrorIs(t, o.Err, c.category)
					require.ErrorContains(t, o.Err, c.says)
					continue
				}
				require.NoError(t, o.Err, names[k])
				require.Len(t, o.Report.Findings, 1, names[k])
			}
			counts := runs(t, log)
			require.Equal(t, 8, counts[0], "the whole batch first")
			require.LessOrEqual(t, len(counts), 1+2*3)
		})
	}
}

// The arguments of one run stay within the budget: a batch whose names
// are too long for one command line takes several runs, each file in
// exactly one.
func TestBatchSplitsAtTheArgumentsBudget(t *testing.T) {
	tool, log := batchTool(t, "json")
	var names []string
	for i := range 700 {
		names = append(names, strings.Repeat("x", 200)+strconv.Itoa(i)+".py")
	}
	outs := batchScanner(t, tool).ScanBatch(context.Background(), files(t, names, func(string) bool { return false }))
	for _, o := range outs {
		require.NoError(t, o.Err)
	}
	counts := runs(t, log)
	require.Greater(t, len(counts), 1, "700 names of 200 bytes do not fit 128 KiB")
	total := 0
	for _, n := range counts {
		total += n
	}
	require.Equal(t, 700, total)
}

// A tool that takes one file per run gets one per run.
func TestPerFileTool(t *testing.T) {
	tool, log := batchTool(t, "json")
	tool.PerFile = true
	outs := batchScanner(t, tool).ScanBatch(context.Background(), files(t, []string{"a.py", "b.py", "c.py"}, func(string) bool { return true }))
	for _, o := range outs {
		require.NoError(t, o.Err)
		require.Len(t, o.Report.Findings, 1)
	}
	require.Equal(t, []int{1, 1, 1}, runs(t, log))
}

// A cancelled batch is not split: every file gets the cancel, in one run.
func TestCancelledBatchIsNotSplit(t *testing.T) {
	tool, log := batchTool(t, "json")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	outs := batchScanner(t, tool).ScanBatch(ctx, files(t, []string{"a.py", "hang.py", "c.py"}, func(string) bool { return true }))
	for _, o := range outs {
		require.ErrorIs(t, o.Err, scan.Timeout)
	}
	require.Equal(t, []int{3}, runs(t, log))
}

// A tool whose findings name no file cannot be understood in a batch: its
// files are run one at a time (a run for the batch, then one a file), each
// getting its own findings.
func TestToolThatNamesNoFileRunsPerFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "runs.log")
	tool := external.Tool{Name: "mute", Format: "json", Command: []string{script(t, dir, "mute",
		`echo "$PPID $#" >> "`+log+`"; echo '[{"rule":"r","line":1}]'`), "{}"}}
	outs := batchScanner(t, tool).ScanBatch(context.Background(), files(t, []string{"a", "b", "c", "d"}, func(string) bool { return false }))
	for _, o := range outs {
		require.NoError(t, o.Err)
		require.Len(t, o.Report.Findings, 1)
	}
	require.Equal(t, []int{4, 1, 1, 1, 1}, runs(t, log))
}

// Names that a tool's JSON changes (a newline escaped, bytes that are not
// UTF-8 printed as U+FFFD) still come back to their files in one run; two
// names that the tool prints alike cannot be told apart in a run, and are
// run apart.
func TestBatchNamesThatJSONChanges(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		runs  []int
	}{
		{"escaped, one run", []string{"new\nline.py", "\xff.py", "plain.py", "caf\xe9 \xff\xfe.py"}, []int{4}},
		{"alike, run apart", []string{"\xff.py", "\xfe.py", "plain.py"}, []int{3, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe, err := os.Executable()
			require.NoError(t, err)
			log := filepath.Join(t.TempDir(), "runs.log")
			t.Setenv(jsonToolEnv, log)
			tool := external.Tool{Name: "named", Format: "json", Command: []string{exe, "{}"}}
			batch := files(t, tt.files, func(string) bool { return false })
			outs := batchScanner(t, tool).ScanBatch(context.Background(), batch)
			for k, o := range outs {
				require.NoError(t, o.Err, "%q", tt.files[k])
				require.Len(t, o.Report.Findings, 1, "%q", tt.files[k])
			}
			require.Equal(t, tt.runs, runs(t, log))
		})
	}
}

// A tool runs on none of a batch's files that its Include and Shebang do
// not take: each is skipped with a reason, and the tool never starts.
func TestBatchOfFilesNoToolTakes(t *testing.T) {
	tool, log := batchTool(t, "json")
	tool.Include = []string{"*.py"}
	outs := batchScanner(t, tool).ScanBatch(context.Background(), files(t, []string{"a.md", "b.txt", "c"}, func(string) bool { return true }))
	for _, o := range outs {
		reason, skipped := scan.IsSkip(o.Err)
		require.True(t, skipped, "%v", o.Err)
		require.Contains(t, reason, "no exec tool")
	}
	require.NoFileExists(t, log, "the tool never ran")
}

// The scanner says it takes many files a call only when a tool of its
// does: with tools that take one file per run, the worker's tasks run
// the files side by side instead.
func TestBatchMost(t *testing.T) {
	tests := []struct {
		name  string
		tools []external.Tool
		most  int
	}{
		{"a placeholder alone", []external.Tool{{Command: []string{"lint", "{}"}}}, 1024},
		{"per file", []external.Tool{{Command: []string{"lint", "{}"}, PerFile: true}}, 1},
		{"inside an argument", []external.Tool{{Command: []string{"lint", "--file={}"}}}, 1},
		{"one of two batches", []external.Tool{{Command: []string{"a", "--file={}"}}, {Command: []string{"b", "{}"}}}, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.most, build(t, tt.tools...).(scan.BatchSizer).BatchMost())
		})
	}
}
