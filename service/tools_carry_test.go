package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// countingTool is an exec tool, one file per run, that counts the files
// it is handed (a line each in count; arguments that begin with "--" are
// options) and prints a finding per file quoting its content. While the
// file hang exists, every run after the first most hangs until it is
// killed (each run takes a ticket, a directory made in runs).
func countingTool(t *testing.T, count, hang, runs string, most int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "counting")
	body := fmt.Sprintf(`#!/bin/sh
for f; do
  case "$f" in --*) continue;; esac
  echo "$f" >> %[1]q
  IFS= read -r body < "$f"
  printf '{"file":"%%s","rule":"R1","line":1,"message":"%%s"}\n' "$f" "$body"
done
[ -e %[2]q ] || exit 0
i=1
while ! mkdir %[3]q/$i 2>/dev/null; do i=$((i+1)); done
if [ $i -gt %[4]d ]; then sleep 30; fi
`, count, hang, runs, most)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o755))
	return path
}

// handedTo reads a counting tool's count: how many times each file (by
// its path under root) was handed to it.
func handedTo(t *testing.T, count, root string) map[string]int {
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

// A scan of a tool that the server stopped under is carried on at the
// next start without handing the tool again the files whose records it
// had written (the worker hashed each file it handed the tool), and ends
// with the records of a scan never stopped; unless the server's tool
// changed its command in between, which makes every record again.
func TestToolRecordsKeptAcrossRestart(t *testing.T) {
	const files, most = 40, 10
	cases := []struct {
		name    string
		command string // the tool's options after the restart; "" for the same
		keeps   bool
	}{
		{"the same tool", "", true},
		{"the tool's command changed", "--changed", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
			count, hang, runs := filepath.Join(dir, "count"), filepath.Join(dir, "hang"), filepath.Join(dir, "runs")
			require.NoError(t, os.Mkdir(runs, 0o755))
			program := countingTool(t, count, hang, runs, most)
			toolCfg := func(options ...string) service.Config {
				tool := external.Tool{Name: "counting", Command: append(append([]string{program}, options...), external.Placeholder), Format: "jsonl", PerFile: true}
				return service.Config{Data: data, Tools: []external.Tool{tool}}
			}
			f := start(t, toolCfg(), "")
			path := filepath.Join(f.root, "app")
			bodies := map[string]string{}
			for i := range files {
				bodies[fmt.Sprintf("f%02d.py", i)] = fmt.Sprintf("body-%d", i)
			}
			tree(t, path, bodies)
			req := service.Request{Paths: []string{path}, Scanners: []string{external.Name}, Tools: []string{"counting"}}

			first := f.submit(t, req)
			require.Equal(t, service.Done, f.wait(t, first).State)
			want := cut(f.results(t, first))
			require.Len(t, want, files)
			require.NoError(t, os.Remove(count))

			require.NoError(t, os.WriteFile(hang, nil, 0o644))
			id := f.submit(t, req)
			records := filepath.Join(data, "scans", id+".jsonl")
			waitUntil(t, "a record written and the tool run on the held file", func() bool {
				b, _ := os.ReadFile(records)
				_, err := os.Stat(filepath.Join(runs, strconv.Itoa(most+1)))
				return strings.Contains(string(b), "\n") && err == nil
			})
			f.stop()
			before := readRecords(t, records)
			require.NotEmpty(t, before)
			require.Less(t, len(before), files, "stopped with work left")
			require.NoError(t, os.Remove(hang))
			require.NoError(t, os.Remove(count))

			options := []string{}
			if c.command != "" {
				options = append(options, c.command)
			}
			g := startOver(t, toolCfg(options...), "", f.root)
			sc := g.wait(t, id)
			require.Equal(t, service.Done, sc.State, sc.Error)
			again := handedTo(t, count, path)
			for k := range want {
				file := strings.TrimSuffix(k, "|"+external.Name)
				switch _, had := before[k]; {
				case had && c.keeps:
					require.Zero(t, again[file], "%s: its record was kept, yet the tool was handed it again", file)
				default:
					require.Equal(t, 1, again[file], "%s: handed to the tool once", file)
				}
			}
			got := cut(g.results(t, id))
			if !c.keeps {
				for k, r := range got {
					require.NotEqual(t, want[k].Settings, r.Settings, k)
					r.Settings = want[k].Settings
					got[k] = r
				}
			}
			require.Equal(t, want, got, "stopped and carried on, the scan has the records of one never stopped")
		})
	}
}

// readRecords reads the records file of a scan the server stopped,
// through resume's reader: (path|scanner) → record.
func readRecords(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	for l, err := range resume.Lines(f) {
		require.NoError(t, err)
		require.Empty(t, l.Bad)
		if l.IsRecord() {
			out[l.Record.Path+"|"+l.Record.Scanner] = true
		}
	}
	return out
}

// cut leaves of each record what two runs over the same files agree on:
// not the worker, the attempts, or the tool's run data.
func cut(records map[string]record.Record) map[string]record.Record {
	for k, r := range records {
		r.WorkerPID, r.Attempts, r.Data = 0, 0, nil
		records[k] = r
	}
	return records
}
