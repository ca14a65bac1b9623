package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
)

// waitForGrowth waits, polling without a pause, until file holds more
// than had bytes or the CLI has exited, and returns the size it saw. The
// poll is tight so that a signal sent next finds the CLI as close as it
// can to the write that made the file grow: in the middle of one, if a
// write of records were ever made of parts.
func (c *cliProcess) waitForGrowth(t *testing.T, file string, had int64) int64 {
	t.Helper()
	deadline := time.Now().Add(testwait.Bound(time.Minute))
	for {
		if info, err := os.Stat(file); err == nil && info.Size() > had {
			return info.Size()
		}
		select {
		case <-c.done:
			t.Fatalf("the CLI exited before %s grew past %d bytes:\n%s", file, had, c.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v (%s=%g) for %s to grow past %d bytes; it never did", testwait.Bound(time.Minute), testwait.ScaleVar, testwait.Scale(), file, had)
		}
	}
}

// requireCutBetweenLines checks the output file of a killed run: every
// line but the last a whole JSON record, and the last whole too, ending in
// a newline, unless a write was cut by the kill in its middle. forkscan
// writes whole lines in each write, but the kernel stops a write to a file
// that SIGKILL interrupts at a page boundary (Linux's generic_perform_write
// checks for a fatal signal before each page it copies): a cut line is
// one that ends at a page boundary. It returns the records the file holds
// and whether its last line was cut.
func requireCutBetweenLines(t *testing.T, file, when string) (n int, cut bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if last := lines[len(lines)-1]; len(last) > 0 {
		cut = true
		require.Zero(t, len(data)%os.Getpagesize(), "%s: the output ends inside a line, and not where the kernel cuts a write (a page boundary): …%q", when, data[max(0, len(data)-80):])
	}
	lines = lines[:len(lines)-1]
	for i, line := range lines {
		var r record.Record
		require.NoError(t, json.Unmarshal(line, &r), "%s: line %d of %d is not a whole record: %q", when, i+1, len(lines), line)
		require.NotEmpty(t, r.Scanner, "%s: line %d names no scanner: %q", when, i+1, line)
	}
	return len(lines), cut
}

// SIGKILL of forkscan itself, the moment records reach its output, and at
// later writes: the file holds whole records up to the last line, which a
// write the kill cut in its middle may leave short (then only at a page
// boundary: where the kernel stops); the workers go by themselves; and
// --resume carries the killed run on to the records of one uninterrupted
// run, a cut last line dropped. Each trial kills at the k-th growth of
// the file it sees (k = 1, 2, 3, 4), so the kills fall on the first write
// and on later ones; the poll is tight, so they often fall inside one.
func TestKilledCLICutsTheOutputBetweenLines(t *testing.T) {
	root := t.TempDir()
	for i := range 2000 {
		write(t, filepath.Join(root, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d.txt", i)), fmt.Sprint(i))
	}
	args := []string{"scan", "-s", "inventory", "-w", "2"}
	want := fileRecords(t, runCLIToFile(t, args, root, false))
	require.Len(t, want, 2000)
	const trials = 6
	cuts := 0
	for trial := range trials {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		c := startCLI(t, append(args, "-o", out, root)...)
		var size int64
		for range trial%4 + 1 {
			size = c.waitForGrowth(t, out, size)
		}
		require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
		testwait.Chan(t, time.Minute, "the SIGKILLed CLI to be reaped", c.done)
		require.Equal(t, syscall.SIGKILL, c.cmd.ProcessState.Sys().(syscall.WaitStatus).Signal(), "trial %d: killed, not ended: %v", trial, c.cmd.ProcessState)
		<-c.watched
		var workers []int
		for pid := range c.seen {
			workers = append(workers, pid)
		}
		require.NotEmpty(t, workers, "trial %d: the CLI's workers were seen", trial)
		require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "trial %d: workers outlived the SIGKILLed CLI", trial)

		n, cut := requireCutBetweenLines(t, out, fmt.Sprintf("trial %d (killed once it held %d bytes)", trial, size))
		require.Less(t, n, len(want), "trial %d: the kill fell inside the run", trial)
		if cut {
			cuts++
		}
		code, _, errOut := cli(t, append(append(args, "--resume"), "-o", out, root)...)
		require.Equal(t, exitOK, code, errOut)
		require.Equal(t, want, fileRecords(t, out), "trial %d: the killed run, resumed, makes the records of one run", trial)
	}
	t.Logf("%d of %d kills cut a write in its middle", cuts, trials)
}

// Interrupted again and again — the scan, then every resume of it but the
// last — the output stays whole after each interrupt (whole lines, no
// record twice, each as one uninterrupted run makes it), and the last
// resume completes it with the records of one uninterrupted run. The
// interrupts fall when the workers have started on the files left, and
// when the resume's first records reach the file.
func TestInterruptedResumesLeaveTheFileWhole(t *testing.T) {
	const files = 1500
	root, args := sluggishTree(t, files)
	want := fileRecords(t, runCLIToFile(t, args, root, false))
	require.Len(t, want, 2*files)

	out := filepath.Join(t.TempDir(), "out.jsonl")
	run := append(slices.Clone(args), "-o", out, root)
	resume := append([]string{"scan", "--resume"}, run[1:]...)
	for round := range 4 {
		marks := t.TempDir()
		t.Setenv(marksEnv, marks)
		cmd := run
		if round > 0 {
			cmd = resume
		}
		var size int64
		if info, err := os.Stat(out); err == nil {
			size = info.Size()
		}
		c := startCLI(t, cmd...)
		if round%2 == 0 {
			c.waitForGrowth(t, out, size)
		} else {
			waitForMarks(t, marks, 2)
		}
		c.interrupt(t, syscall.SIGINT)
		require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), "round %d: %v\n%s", round, c.cmd.ProcessState, c.stderr.String())
		if round > 0 {
			require.Contains(t, c.stderr.String(), "forkscan: resumed from "+out+": kept ", "round %d", round)
		}
		got, workers := readOutput(t, out)
		c.requireNothingLeft(t, workers)
		for k, status := range got {
			require.Equal(t, want[k], status, "round %d: %v", round, k)
		}
		require.Less(t, len(got), len(want), "round %d: the run was cut short", round)
	}

	code, _, errOut := cli(t, resume...)
	require.Equal(t, exitOK, code, errOut)
	requireWholeOutputFirst(t, errOut, out, 2*files)
	require.Equal(t, want, fileRecords(t, out), "interrupts and resumes make the same records as one run")
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file of a resume is left beside the output: %v", entries)
}
