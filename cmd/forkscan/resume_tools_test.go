package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
)

// countingTool writes a tool for the exec scanner that counts the files it
// is handed (a line each in the file count; arguments that begin with
// "--" are taken as options and not counted) and prints a finding per
// file that quotes its content, as JSON lines. While the file hang exists,
// each run takes a ticket (a directory made in runs: 1, 2, ...) and every
// run after the first most hangs until it is killed: a run interrupted
// then always has records written and work left.
func countingTool(t *testing.T, count, hang, runs string, most int) string {
	return script(t, "counting", fmt.Sprintf(`for f; do
  case "$f" in --*) continue;; esac
  echo "$f" >> %[1]q
  IFS= read -r body < "$f"
  printf '{"file":"%%s","rule":"R1","line":1,"message":"%%s"}\n' "$f" "$body"
done
[ -e %[2]q ] || exit 0
i=1
while ! mkdir %[3]q/$i 2>/dev/null; do i=$((i+1)); done
if [ $i -gt %[4]d ]; then sleep 30; fi`, count, hang, runs, most))
}

// handed reads a counting tool's count: how many times each file (by its
// path under root) was handed to it; none when it was never run.
func handed(t *testing.T, count, root string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(count)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	require.NoError(t, err)
	out := map[string]int{}
	for _, name := range strings.Fields(string(data)) {
		rel, err := filepath.Rel(root, name)
		require.NoError(t, err)
		out[rel]++
	}
	return out
}

// toolRecords reads an output's records of a tool scan, each cut to what
// two runs over the same files must agree on: not the worker, the
// attempts, or the size of the batch it ran in.
func toolRecords(t *testing.T, file string) map[string]record.Record {
	t.Helper()
	got := records(t, readFile(t, file))
	for k, r := range got {
		r.WorkerPID, r.Attempts, r.Data = 0, 0, nil
		got[k] = r
	}
	return got
}

var keptRecords = regexp.MustCompile(`resumed from \S+: kept (\d+) records`)

// kept is how many records a resumed run's summary says it kept.
func kept(t *testing.T, stderr string) int {
	t.Helper()
	m := keptRecords.FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// Ctrl-C in a --exec-cmd scan, batched or one file per run, and --resume:
// the tool is not handed again any file whose record the interrupted run
// wrote (the worker hashed each file it handed the tool, so the record
// carries its SHA-256 and stays true), each other file is handed once,
// and the output ends as one uninterrupted run's. A resume with the
// tool's command changed makes every record again; one with only its
// time limit changed keeps them all.
func TestInterruptedToolScanResumesWithoutRunningTheToolAgain(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		files int
		runs  int // that end before the interrupt: a batch is 64 files
	}{
		{"batched", nil, 400, 1},
		{"one file per run", []string{"--exec-per-file"}, 48, 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			files := c.files
			for i := range files {
				write(t, filepath.Join(root, fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%03d.py", i)), fmt.Sprintf("body-%d", i))
			}
			dir := t.TempDir()
			count, hang, runs := filepath.Join(dir, "count"), filepath.Join(dir, "hang"), filepath.Join(dir, "runs")
			require.NoError(t, os.Mkdir(runs, 0o755))
			tool := countingTool(t, count, hang, runs, c.runs)
			scanArgs := func(cmd string, more ...string) []string {
				args := []string{"scan", "-s", "exec", "--exec-cmd", cmd, "--exec-format", "jsonl", "-w", "2", "--tasks", "2", "--grace", "2s"}
				return append(append(args, c.args...), more...)
			}

			first := filepath.Join(t.TempDir(), "first.jsonl")
			code, _, errOut := cli(t, append(scanArgs(tool+" {}"), "-o", first, root)...)
			require.Equal(t, exitFindings, code, errOut)
			want := toolRecords(t, first)
			require.Len(t, want, files)
			for k, r := range want {
				require.Equal(t, record.StatusOK, r.Status, k)
				require.NotEmpty(t, r.SHA256, "%s: the record names the content the tool was handed", k)
				require.NotEmpty(t, r.Settings, k)
			}
			require.NoError(t, os.Remove(count))

			// Interrupted once some records are written and later runs hang.
			require.NoError(t, os.WriteFile(hang, nil, 0o644))
			out := filepath.Join(t.TempDir(), "out.jsonl")
			p := startCLI(t, append(scanArgs(tool+" {}"), "-o", out, root)...)
			waitFor(t, func() bool {
				data, _ := os.ReadFile(out)
				_, err := os.Stat(filepath.Join(runs, strconv.Itoa(c.runs+1)))
				return strings.Contains(string(data), "\n") && err == nil
			}, "records written and a run that hangs")
			p.interrupt(t, syscall.SIGINT)
			require.Equal(t, exitInterrupted, p.cmd.ProcessState.ExitCode(), p.stderr.String())
			done := toolRecords(t, out)
			require.NotEmpty(t, done)
			require.Less(t, len(done), files, "the run was cut short")
			for k, r := range done {
				require.Equal(t, want[k], r, "%s: as an uninterrupted run made it", k)
			}

			require.NoError(t, os.Remove(hang))
			require.NoError(t, os.Remove(count))
			code, _, errOut = cli(t, append(scanArgs(tool+" {}", "--resume"), "-o", out, root)...)
			require.Equal(t, exitFindings, code, errOut)
			require.Equal(t, len(done), kept(t, errOut), "every record the interrupted run wrote is kept")
			again := handed(t, count, root)
			for k := range want {
				path := strings.TrimSuffix(k, "|exec")
				if _, had := done[k]; had {
					require.Zero(t, again[path], "%s: its record was kept, yet the tool was handed it again", path)
				} else {
					require.Equal(t, 1, again[path], "%s: no record yet: handed to the tool once", path)
				}
			}
			require.Equal(t, want, toolRecords(t, out), "interrupt and resume make the records of one run")

			require.NoError(t, os.Remove(count))
			code, _, errOut = cli(t, append(scanArgs(tool+" {}", "--resume", "--exec-timeout", "1m"), "-o", out, root)...)
			require.Equal(t, exitFindings, code, errOut)
			require.Equal(t, files, kept(t, errOut), "a time limit does not change what a record says")
			require.Empty(t, handed(t, count, root))

			code, _, errOut = cli(t, append(scanArgs(tool+" --changed {}", "--resume"), "-o", out, root)...)
			require.Equal(t, exitFindings, code, errOut)
			require.Zero(t, kept(t, errOut), "the tool's command changed: every record is made again")
			again = handed(t, count, root)
			require.Len(t, again, files)
			for path, n := range again {
				require.Equal(t, 1, n, path)
			}
			redone := toolRecords(t, out)
			require.Len(t, redone, files)
			for k, r := range redone {
				require.NotEqual(t, want[k].Settings, r.Settings, k)
				r.Settings = want[k].Settings
				require.Equal(t, want[k], r, k)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test if it does not
// within a bound that only catches a hang (testwait).
func waitFor(t *testing.T, cond func() bool, what string, args ...any) {
	t.Helper()
	testwait.For(t, time.Minute, fmt.Sprintf(what, args...), cond)
}
