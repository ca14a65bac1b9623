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
	"testing"
	"time"

	"github.com/forkscan/forkscan/record"
)

// BenchmarkSecretsVsGitleaks runs, per iteration and one after the other on
// the same machine (forkscan first in even iterations, last in odd ones:
// inTurn), `forkscan scan -s secrets` (the binary FORKSCAN_BIN
// names, as make bench sets it, else this test binary as the CLI; with its
// default workers) and `gitleaks dir`
// over $(go env GOROOT)/src, and reports their wall times and CPU times
// (user+sys of the child as wait reports it; forkscan's includes its worker
// processes, children it waits for before it exits) and the ratios. It
// fails unless each reports the same findings (file, line, rule) as
// forkscan, naming the first that differ. The gitleaks binary is named by
// FORKSCAN_GITLEAKS (make bench installs the release that matches the
// library in go.mod); FORKSCAN_GITLEAKS_RE2, if set, names one built with
// RE2 (gitleaks' gore2regex option), measured too. FORKSCAN_BETTERLEAKS, if set, names a
// betterleaks binary (gitleaks' successor), run as `betterleaks dir` with
// gitleaks' default rules (the gitleaks.toml of the module in go.mod,
// through -c) and gitleaks dir's defaults: no archives opened (forkscan's
// --max-archive-depth 0 too), decoding 5 deep, nothing redacted, no validation of findings against live APIs.
func BenchmarkSecretsVsGitleaks(b *testing.B) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		b.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make bench installs one)")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	dir := b.TempDir()
	forkscan := func() ([]string, usage) {
		out := filepath.Join(dir, "forkscan.jsonl")
		cmd := cliCommand("scan", "-s", "secrets", "--no-ignore", "--no-progress", "--max-archive-depth", "0", "-o", out, root)
		took := timedUsage(b, cmd, exitFindings)
		return forkscanFindings(b, out), took
	}
	report := filepath.Join(dir, "report.json")
	args := map[string][]string{}
	for _, name := range []string{"gitleaks", "gitleaks-re2"} {
		args[name] = []string{"dir", "--no-banner", "-l", "error", "-f", "json", "-r", report, root}
	}
	bins := map[string]string{"gitleaks": gitleaks, "gitleaks-re2": os.Getenv("FORKSCAN_GITLEAKS_RE2"),
		"betterleaks": os.Getenv("FORKSCAN_BETTERLEAKS")}
	if bins["betterleaks"] != "" {
		args["betterleaks"] = []string{"dir", "--no-banner", "-l", "error", "-c", gitleaksRules(b),
			"--max-archive-depth", "0", "--max-decode-depth", "5", "--redact=0", "--validation=false",
			"-f", "json", "-r", report, root}
	}
	peers := []string{"gitleaks", "gitleaks-re2", "betterleaks"}
	total := map[string]usage{}
	b.ResetTimer()
	for i := range b.N {
		var mine []string
		found := map[string][]string{}
		for _, name := range inTurn(i, "forkscan", peers) {
			switch {
			case name == "forkscan":
				var took usage
				mine, took = forkscan()
				total[name] = total[name].add(took)
			case bins[name] != "":
				_ = os.Remove(report) // a report left by the tool before is not this one's
				total[name] = total[name].add(timedUsage(b, exec.Command(bins[name], args[name]...), 1))
				found[name] = gitleaksReport(b, report, root)
			}
		}
		var differ []string
		for _, name := range peers {
			if theirs, ran := found[name]; ran && !slices.Equal(mine, theirs) {
				differ = append(differ, fmt.Sprintf("forkscan found %d, %s %d; %s",
					len(mine), name, len(theirs), firstDifferences(mine, theirs, name, 10)))
			}
		}
		if differ != nil {
			b.Fatalf("iteration %d:\n%s", i, strings.Join(differ, "\n"))
		}
	}
	n := float64(b.N)
	b.ReportMetric(total["forkscan"].wall.Seconds()/n, "forkscan-s/op")
	b.ReportMetric(total["forkscan"].cpu.Seconds()/n, "forkscan-cpu-s/op")
	for _, name := range peers {
		t := total[name]
		if t.wall == 0 {
			continue
		}
		b.ReportMetric(t.wall.Seconds()/n, name+"-s/op")
		b.ReportMetric(t.cpu.Seconds()/n, name+"-cpu-s/op")
		b.ReportMetric(total["forkscan"].wall.Seconds()/t.wall.Seconds(), "forkscan/"+name)
		b.ReportMetric(total["forkscan"].cpu.Seconds()/t.cpu.Seconds(), "forkscan/"+name+"-cpu")
	}
	b.ReportMetric(0, "ns/op") // the loop's time is the sum of the tools'
}

// gitleaksRules is the path of gitleaks' default rules, the gitleaks.toml
// of the gitleaks module in go.mod (in the module cache): what `gitleaks
// dir` runs with no config of its own, given to betterleaks with -c.
func gitleaksRules(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	if err != nil {
		b.Fatalf("finding the gitleaks module: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "config", "gitleaks.toml")
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
	return path
}

// firstDifferences names up to n findings that only forkscan or only the
// peer named reported (both sorted).
func firstDifferences(mine, theirs []string, peer string, n int) string {
	var out []string
	i, j := 0, 0
	for (i < len(mine) || j < len(theirs)) && len(out) < n {
		switch {
		case j == len(theirs) || i < len(mine) && mine[i] < theirs[j]:
			out = append(out, "only forkscan: "+mine[i])
			i++
		case i == len(mine) || theirs[j] < mine[i]:
			out = append(out, "only "+peer+": "+theirs[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	if len(out) == 0 { // the same set, reported more than once
		return "the same findings, counted differently"
	}
	return "first differences:\n\t" + strings.Join(out, "\n\t")
}

func TestFirstDifferences(t *testing.T) {
	mine := []string{"a:1:r", "b:2:r", "c:3:r"}
	if got, want := firstDifferences(mine, []string{"a:1:r", "c:3:r", "d:4:r"}, "peer", 10),
		"first differences:\n\tonly forkscan: b:2:r\n\tonly peer: d:4:r"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := firstDifferences(mine, nil, "peer", 2),
		"first differences:\n\tonly forkscan: a:1:r\n\tonly forkscan: b:2:r"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := firstDifferences(mine, append(mine, "c:3:r"), "peer", 10),
		"first differences:\n\tonly peer: c:3:r"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// inTurn is the order in which iteration i runs forkscan (first) and its
// peers: as given in even iterations, reversed in odd ones, so that of
// each pair compared neither always runs second (on a page cache or CPU
// the other warmed or left busy).
func inTurn(i int, first string, peers []string) []string {
	order := append([]string{first}, peers...)
	if i%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// usage is what running a command took: wall time, and CPU time (user+sys)
// as wait reports it for the child, which on Linux includes that of every
// descendant it waited for (forkscan's worker processes among them).
type usage struct{ wall, cpu time.Duration }

func (u usage) add(v usage) usage { return usage{u.wall + v.wall, u.cpu + v.cpu} }

// timed runs cmd and returns its wall time; it must exit with code (with
// a negative code: 0, 1 or 3, a scan done with or without findings or
// failed records: Go's sources hold two test archives over forkscan's
// archive bounds).
func timed(b *testing.B, cmd *exec.Cmd, code int) time.Duration {
	b.Helper()
	return timedUsage(b, cmd, code).wall
}

// timedUsage is timed, with the CPU time of the child too.
func timedUsage(b *testing.B, cmd *exec.Cmd, code int) usage {
	b.Helper()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := usage{wall: time.Since(start)}
	exit := -2
	if cmd.ProcessState != nil {
		exit = cmd.ProcessState.ExitCode()
		took.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if exit != code && (code >= 0 || (exit != exitOK && exit != exitFindings && exit != exitFailures)) {
		b.Fatalf("%s: %v (want exit %d):\n%s", cmd, err, code, out)
	}
	return took
}

func forkscanFindings(b *testing.B, path string) []string {
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
			out = append(out, findingKey(fd.Where(r.Path), fd.Line, fd.Rule))
		}
	}
	slices.Sort(out)
	return out
}

// gitleaksReport reads a JSON report of gitleaks (or betterleaks, which
// writes the same fields) into finding keys relative to root, sorted.
func gitleaksReport(b *testing.B, path, root string) []string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var found []struct {
		File      string
		StartLine int
		RuleID    string
	}
	if err := json.Unmarshal(data, &found); err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, f := range found {
		rel, _ := filepath.Rel(root, f.File)
		out = append(out, findingKey(rel, f.StartLine, f.RuleID))
	}
	slices.Sort(out)
	return out
}
