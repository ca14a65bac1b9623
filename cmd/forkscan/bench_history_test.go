package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/record"
)

// BenchmarkHistory scans the history of a real repository — every commit
// of every ref, FORKSCAN_HISTORY names it (make bench clones trufflehog's
// repository at a pinned tag) — per iteration and one after the other on
// the same machine, in one order in even iterations and the reverse in
// odd ones: `forkscan git` (FORKSCAN_BIN, as make bench builds
// it, with its default workers), `gitleaks git` as released
// (FORKSCAN_GITLEAKS) and built with RE2 (FORKSCAN_GITLEAKS_RE2), and
// `betterleaks git --git-workers 2` (FORKSCAN_BETTERLEAKS), all with
// gitleaks' default rules, no archive opened, no validation. It reports
// each tool's wall and CPU time, the ratios of the totals and the median
// of each iteration's ratio (-median: the two tools of an iteration run
// within seconds of each other, so a spell of a busy host that slows a
// whole iteration moves it less), and its memory: the peak of
// the resident memory of all its processes at once (sampled every 50 ms
// from /proc: forkscan's workers and gits, betterleaks' gits), and the
// largest one process reached (the kernel's ru_maxrss). It fails unless
// both gitleaks builds report the same findings as forkscan (commit,
// file, line, rule); betterleaks, whose detection differs from gitleaks'
// with the same rules, has the findings it differs by reported
// (betterleaks-differ).
func BenchmarkHistory(b *testing.B) {
	repo := os.Getenv("FORKSCAN_HISTORY")
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if repo == "" || gitleaks == "" {
		b.Skip("FORKSCAN_HISTORY names no repository or FORKSCAN_GITLEAKS no gitleaks (make bench sets both)")
	}
	dir := b.TempDir()
	out, report := dir+"/forkscan.jsonl", dir+"/report.json"
	rules := gitleaksRules(b)
	tools := []struct {
		name string
		bin  string
		args []string
	}{
		{"forkscan", "", nil}, // cliCommand: FORKSCAN_BIN, or this test binary as the CLI
		{"betterleaks", os.Getenv("FORKSCAN_BETTERLEAKS"), []string{"git", "--git-workers", "2", "--no-banner", "-l", "error", "-c", rules,
			"--max-archive-depth", "0", "--max-decode-depth", "5", "--redact=0", "--validation=false", "-f", "json", "-r", report, repo}},
		{"gitleaks-re2", os.Getenv("FORKSCAN_GITLEAKS_RE2"), []string{"git", "--no-banner", "-l", "error", "-f", "json", "-r", report, repo}},
		{"gitleaks", gitleaks, []string{"git", "--no-banner", "-l", "error", "-f", "json", "-r", report, repo}},
	}
	total := map[string]usage{}
	mem := map[string]memory{}
	ratios := map[string][]float64{} // forkscan's wall over each peer's, an iteration at a time
	b.ResetTimer()
	for i := range b.N {
		// Every pair of tools runs in one order in an even iteration
		// and the other in an odd one: neither gains from a warmer
		// cache or a cooler machine.
		order := slices.Clone(tools)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		var mine []string
		theirs := map[string][]string{}
		walls := map[string]time.Duration{}
		for _, t := range order {
			cmd, code := exec.Command(t.bin, t.args...), 1
			switch {
			case t.name == "forkscan":
				cmd, code = cliCommand("git", "--no-progress", "--no-redact", "--secrets-config", rules, "-o", out, repo), exitFindings
			case t.bin == "":
				continue
			}
			_ = os.Remove(report)
			took, m := measured(b, cmd, code)
			total[t.name], mem[t.name], walls[t.name] = total[t.name].add(took), mem[t.name].max(m), took.wall
			if t.name == "forkscan" {
				mine = historyKeys(b, out)
			} else {
				theirs[t.name] = reportKeys(b, report)
			}
		}
		for name, keys := range theirs {
			ratios[name] = append(ratios[name], walls["forkscan"].Seconds()/walls[name].Seconds())
			switch {
			case name == "betterleaks":
				b.ReportMetric(float64(len(without(mine, keys))+len(without(keys, mine))), "betterleaks-differ")
			case !slices.Equal(mine, keys):
				b.Fatalf("iteration %d: forkscan found %d, %s %d; %s", i, len(mine), name, len(keys), firstDifferences(mine, keys, name, 10))
			}
		}
		b.ReportMetric(float64(len(mine)), "findings")
	}
	n := float64(b.N)
	for _, name := range []string{"forkscan", "gitleaks", "gitleaks-re2", "betterleaks"} {
		t := total[name]
		if t.wall == 0 {
			continue
		}
		b.ReportMetric(t.wall.Seconds()/n, name+"-s/op")
		b.ReportMetric(t.cpu.Seconds()/n, name+"-cpu-s/op")
		b.ReportMetric(float64(mem[name].peak)/(1<<20), name+"-peak-MiB")
		b.ReportMetric(float64(mem[name].largest)/(1<<20), name+"-largest-MiB")
		if name != "forkscan" {
			b.ReportMetric(total["forkscan"].wall.Seconds()/t.wall.Seconds(), "forkscan/"+name)
			b.ReportMetric(total["forkscan"].cpu.Seconds()/t.cpu.Seconds(), "forkscan/"+name+"-cpu")
			b.ReportMetric(median(ratios[name]), "forkscan/"+name+"-median")
		}
	}
	b.ReportMetric(0, "ns/op") // the loop's time is the sum of the tools'
}

// memory is what a tool's processes held: the most resident memory of
// all of them at one moment, and the most of any one.
type memory struct{ peak, largest int64 }

func (m memory) max(o memory) memory { return memory{max(m.peak, o.peak), max(m.largest, o.largest)} }

// measured runs cmd as timedUsage does, sampling the resident memory of
// it and its descendants meanwhile.
func measured(b *testing.B, cmd *exec.Cmd, code int) (usage, memory) {
	b.Helper()
	var m memory
	stop := make(chan struct{})
	var wg sync.WaitGroup
	started := make(chan int, 1)
	wg.Go(func() {
		pid := <-started
		for {
			m.peak = max(m.peak, treeRSS(pid))
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Start()
	if err != nil {
		close(started)
		close(stop)
		wg.Wait()
		b.Fatal(err)
	}
	started <- cmd.Process.Pid
	err = cmd.Wait()
	took := usage{wall: time.Since(start), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	close(stop)
	wg.Wait()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.largest = ru.Maxrss << 10
	}
	if exit := cmd.ProcessState.ExitCode(); exit != code {
		b.Fatalf("%s: %v (want exit %d):\n%s", cmd, err, code, out.String())
	}
	return took, m
}

// treeRSS is the resident memory of pid and every process under it, from
// one reading of /proc's process list (a walk per generation would cost
// the measured tools a share of the two cores).
func treeRSS(pid int) int64 {
	var sum int64
	for _, p := range append([]int{pid}, proctest.Descendants(pid)...) {
		if rss, err := proctest.RSS(p); err == nil {
			sum += rss
		}
	}
	return sum
}

// historyKeys reads forkscan's records of a history into sorted keys:
// commit, file, line, rule.
func historyKeys(b *testing.B, path string) []string {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatal(err)
		}
		for _, fd := range r.Findings {
			out = append(out, fmt.Sprintf("%s:%s:%d:%s", r.Commit.ID, fd.File, fd.Line, fd.Rule))
		}
	}
	slices.Sort(out)
	return out
}

// reportKeys reads a gitleaks or betterleaks report of a history into the
// keys historyKeys makes.
func reportKeys(b *testing.B, path string) []string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var found []struct {
		Commit, File, RuleID string
		StartLine            int
	}
	if err := json.Unmarshal(data, &found); err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, f := range found {
		out = append(out, fmt.Sprintf("%s:%s:%d:%s", f.Commit, f.File, f.StartLine, f.RuleID))
	}
	slices.Sort(out)
	return out
}

// median is the middle of xs (the mean of the two middle ones of an even
// count): the ratio of an iteration that a slow spell of the machine
// during another iteration does not move.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
