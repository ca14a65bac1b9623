package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/worker/scan"
)

// slowtext is a test scanner of histories: it takes 4 ms on a change to
// a file under small/ (one per commit of skewedHistory), honouring its
// context, none on others, and finds nothing.
func init() {
	scan.Register(scan.Def{Name: "slowtext", Content: true, History: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			markRunning()
			if !strings.HasPrefix(f.Path, "small/") {
				return scan.Report{}, nil
			}
			select {
			case <-time.After(4 * time.Millisecond):
				return scan.Report{}, nil
			case <-ctx.Done():
				return scan.Report{}, ctx.Err()
			}
		}), nil
	}})
}

// skewedHistory imports n commits: most write one small file, every
// twentieth twenty files of 10 kB (so a few commits hold most of the
// bytes, as in real histories), and one writes more files than a job
// takes.
func skewedHistory(t *testing.T, n int) *gittest.Repo {
	t.Helper()
	g := gittest.New(t)
	g.Import(n, func(i int) map[string]string {
		files := map[string]string{fmt.Sprintf("small/%d.txt", i%50): fmt.Sprintf("line %d\n", i)}
		switch {
		case i == n/2:
			for j := range partFiles + 10 {
				files[fmt.Sprintf("wide/%d.txt", j)] = fmt.Sprintf("wide %d %d\n", i, j)
			}
		case i%20 == 0:
			for j := range 20 {
				files[fmt.Sprintf("big/%d.txt", j)] = strings.Repeat(fmt.Sprintf("%d %d\n", i, j), 1000)
			}
		}
		return files
	})
	return g
}

// TestHistorySpreadsOverEveryWorker: on a skewed history, every worker
// scans commits, the huge commit is split in parts, and no commit is
// scanned twice.
func TestHistorySpreadsOverEveryWorker(t *testing.T) {
	g := skewedHistory(t, 200)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut := cli(t, "git", "-s", "slowtext", "-w", "2", "--tasks", "2", "--no-progress", "-o", out, g.Dir)
	require.Equal(t, exitOK, code, errOut)
	got, workers := readOutput(t, out)
	require.Len(t, workers, 2, "every worker scanned commits")
	parts := 0
	for k, status := range got {
		require.Equal(t, "ok", status, "%v", k)
		if strings.Contains(k[0], ":") {
			parts++
		}
	}
	require.Equal(t, 2, parts, "the commit of %d files is scanned in two parts", partFiles+10)
	require.Len(t, got, 201, "200 commits, one of them in two parts, once each")
}

// TestHistoryRunsAsBatch: a history scan's processes, the CLI, its
// workers and the gits they read commits with, run every thread under the
// batch scheduling policy (internal/sched), which they inherit from the
// CLI or set themselves.
func TestHistoryRunsAsBatch(t *testing.T) {
	g := skewedHistory(t, 300)
	marks := t.TempDir()
	t.Setenv(marksEnv, marks)
	c := startCLI(t, "git", "-s", "slowtext", "-w", "2", "--tasks", "2", "--no-progress", "-o", filepath.Join(t.TempDir(), "out.jsonl"), g.Dir)
	waitForMarks(t, marks, 2)
	type process struct {
		comm     string
		policies map[int]int // by thread
	}
	seen := map[int]process{}
	for _, pid := range append([]int{c.cmd.Process.Pid}, proctest.Descendants(c.cmd.Process.Pid)...) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		seen[pid] = process{strings.TrimSpace(string(comm)), proctest.ThreadPolicies(pid)}
	}
	c.interrupt(t, syscall.SIGINT)
	c.requireNothingLeft(t, nil)
	gits := 0
	for pid, p := range seen {
		if p.comm == "git" {
			gits++
		}
		for tid, policy := range p.policies {
			require.Equal(t, unix.SCHED_BATCH, policy, "thread %d of %d (%s)", tid, pid, p.comm)
		}
	}
	require.GreaterOrEqual(t, len(seen), 1+2+2, "the CLI, 2 workers and a git each at least: %v", seen)
	require.NotZero(t, gits)
}

// TestHistoryInterruptThenResume: Ctrl-C at a random moment of a history
// scan ends it 130 with whole records; --resume then scans only the
// commits it has no record of, and the two runs' records are those of one
// uninterrupted run.
func TestHistoryInterruptThenResume(t *testing.T) {
	g := skewedHistory(t, 300)
	args := []string{"git", "-s", "slowtext", "-w", "2", "--tasks", "2", "--grace", "2s", "--no-progress"}
	want := fileRecords(t, runCLIToFile(t, args, g.Dir, false))
	require.Len(t, want, 301)
	for trial := range 3 {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		marks := t.TempDir()
		t.Setenv(marksEnv, marks)
		c := startCLI(t, append(args, "-o", out, g.Dir)...)
		waitForMarks(t, marks, 2)
		time.Sleep(time.Duration(rand.Int64N(int64(300 * time.Millisecond / 2))))
		c.interrupt(t, syscall.SIGINT)
		require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), "trial %d: %s", trial, c.stderr.String())
		got, workers := readOutput(t, out)
		c.requireNothingLeft(t, workers)
		require.Less(t, len(got), len(want), "trial %d: the run was cut short", trial)
		data, _ := os.ReadFile(out)
		for k, status := range got {
			require.Equal(t, want[k], status, "trial %d: %v\n%s", trial, k, data)
		}
		hint := carryOnCommand(t, c.stderr.String())
		require.Equal(t, append(append([]string{"git", "--resume"}, args[1:]...), "-o", out, g.Dir), hint, "trial %d: the same command, with --resume", trial)
		code, _, errOut := cli(t, hint...)
		require.Equal(t, exitOK, code, errOut)
		requireWholeOutputFirst(t, errOut, out, len(want))
		require.Equal(t, want, fileRecords(t, out), "trial %d: interrupt and resume make the records of one run", trial)
	}
}

// TestHistoryResumeOfOtherRevisions: --resume with other revisions than
// the run that wrote the output (a narrower or wider --log-opts, a branch
// deleted since) leaves the records one run over the new revisions
// makes: a commit they no longer reach loses its record, as a vanished
// file does, and the summary counts what the output holds.
func TestHistoryResumeOfOtherRevisions(t *testing.T) {
	g := gittest.New(t)
	secretHistory(t, g)
	main := strings.TrimSpace(g.Git("rev-parse", "--abbrev-ref", "HEAD"))
	g.Git("checkout", "-q", "-b", "side")
	g.Commit("on a side branch", map[string]string{"side.env": "token = \"" + plant(rand.New(rand.NewPCG(1, 2)))["github-pat"] + "\"\n"})
	g.Git("checkout", "-q", main)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	steps := []struct {
		name    string
		logOpts string
		before  func()
	}{
		{"the last two commits of main", main + "~2.." + main, nil},
		{"narrower: the last one", main + "~1.." + main, nil},
		{"wider: every ref", "", nil},
		{"the side branch deleted", "", func() { g.Git("branch", "-q", "-D", "side") }},
	}
	var had map[[2]string]string // the output's records before a step
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		args := []string{"git", "--no-progress"}
		if s.logOpts != "" {
			args = append(args, "--log-opts", s.logOpts)
		}
		fresh := filepath.Join(t.TempDir(), "fresh.jsonl")
		code, _, errOut := cli(t, append(append(args, "-o", fresh), g.Dir)...)
		require.LessOrEqual(t, code, exitFindings, "step %d (%s): %s", i, s.name, errOut)
		want := fileRecords(t, fresh)
		resumed, _, errOut := cli(t, append(append(args, "--resume", "-o", out), g.Dir)...)
		require.Equal(t, code, resumed, "step %d (%s): %s", i, s.name, errOut)
		require.Equal(t, want, fileRecords(t, out), "step %d (%s): the records of one run over the revisions", i, s.name)
		if i > 0 {
			requireResumedCounts(t, fmt.Sprintf("step %d (%s)", i, s.name), errOut, had, want)
		}
		had = want
	}
}

// requireResumedCounts checks the summary of a resumed history scan: the
// output holds a record per commit of want, and the records of had that
// want has not were dropped.
func requireResumedCounts(t *testing.T, step, errOut string, had, want map[[2]string]string) {
	t.Helper()
	holds := regexp.MustCompile(` holds (\d+) commits?, (\d+) results? `).FindStringSubmatch(errOut)
	require.NotNil(t, holds, "%s: %s", step, errOut)
	require.Equal(t, []string{strconv.Itoa(len(want)), strconv.Itoa(len(want))}, holds[1:], "%s: the summary counts what the output holds: %s", step, errOut)
	dropped := 0
	for k := range had {
		if _, ok := want[k]; !ok {
			dropped++
		}
	}
	added := len(want) - (len(had) - dropped)
	require.True(t, dropped > 0 || added > 0, "%s changes nothing", step)
	require.Regexp(t, fmt.Sprintf(`dropped %d records? to redo`, dropped), errOut, step)
}

// TestHistoryShardsMerge: three shards of a history, split by commit,
// merge into the records of one run.
func TestHistoryShardsMerge(t *testing.T) {
	g := gittest.New(t)
	secretHistory(t, g)
	whole, _ := scanHistory(t, g.Dir)
	var outs []string
	for i := 1; i <= 3; i++ {
		out, _ := scanHistory(t, g.Dir, "--shard", fmt.Sprintf("%d/3", i))
		outs = append(outs, out)
	}
	merged := filepath.Join(t.TempDir(), "merged.jsonl")
	code, _, errOut := cli(t, append([]string{"merge", "-o", merged}, outs...)...)
	require.Equal(t, exitFindings, code, errOut)
	require.Equal(t, fileRecords(t, whole), fileRecords(t, merged))
	require.Equal(t, historyPlaces(t, whole), historyPlaces(t, merged))
	for _, out := range outs {
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Contains(t, string(data), `"commit":{`, "every shard has commits")
	}
}

// TestHistoryBadInput: what is not a repository, revision arguments that
// are not revisions or name nothing, and a repository whose objects are
// missing get a usage error or records with their category; nothing the
// repository configures runs.
func TestHistoryBadInput(t *testing.T) {
	g := gittest.New(t)
	g.Commit("one", map[string]string{"a.txt": "a\n"})
	second := g.Commit("two", map[string]string{"b.txt": "b\n"})
	elsewhere := filepath.Join(t.TempDir(), "written")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a repository", []string{"git", t.TempDir()}, "not a git repository"},
		{"output option", []string{"git", "--log-opts", "--output=" + elsewhere, g.Dir}, "not a revision argument"},
		{"external diff", []string{"git", "--log-opts", "--ext-diff", g.Dir}, "not a revision argument"},
		{"pathspec", []string{"git", "--log-opts", "main -- a.txt", g.Dir}, "not a revision argument"},
		{"bad ref", []string{"git", "--log-opts", "nosuch..main", g.Dir}, "bad revision arguments"},
		{"both pending", []string{"git", "--staged", "--pre-commit", g.Dir}, "give one"},
		{"tree flag", []string{"git", "--exclude", "*.txt", g.Dir}, "choose the files of a tree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := cli(t, tc.args...)
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, tc.want)
		})
	}
	require.NoFileExists(t, elsewhere)

	ran := filepath.Join(t.TempDir(), "ran")
	hook := filepath.Join(t.TempDir(), "hook.sh")
	require.NoError(t, os.WriteFile(hook, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755))
	for _, kv := range [][2]string{{"core.fsmonitor", hook}, {"diff.external", hook}, {"core.pager", hook}, {"filter.x.clean", hook}, {"diff.x.textconv", hook}} {
		g.Git("config", kv[0], kv[1])
	}
	g.Write(map[string]string{".gitattributes": "* filter=x diff=x\n", "a.txt": "changed\n"})
	for _, args := range [][]string{{"git"}, {"git", "--pre-commit"}, {"git", "--staged"}} {
		code, _, errOut := cli(t, append(args, "--no-progress", "-o", filepath.Join(t.TempDir(), "o"), g.Dir)...)
		require.Equal(t, exitOK, code, errOut)
	}
	require.NoFileExists(t, ran, "a program the repository configures ran")

	obj := g.Git("rev-parse", second+":b.txt")
	require.NoError(t, os.Remove(filepath.Join(g.Dir, ".git", "objects", obj[:2], obj[2:])))
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut := cli(t, "git", "--no-progress", "-o", out, g.Dir)
	require.Equal(t, exitFailures, code, errOut)
	got, _ := readOutput(t, out)
	require.Equal(t, "error", got[[2]string{second, "secrets"}], "%v", got)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(data), obj, "the error names the object git could not read, as git said it")
}
