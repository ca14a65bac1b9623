package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
)

// onTerminal runs the CLI with args with its stdin, stdout and stderr on
// one pseudo-terminal, as a person at a terminal would, and returns all it
// printed (the terminal's line endings made plain) and its exit code.
func onTerminal(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return onTerminalIn(t, "", []string{"NO_COLOR=1"}, args...)
}

// onTerminalIn is onTerminal run in the directory dir ("": this one),
// with env added to its environment.
func onTerminalIn(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0", "CI="), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	require.NoError(t, err)
	defer tty.Close()
	var out bytes.Buffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&out, tty); read <- err }()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(testwait.Bound(2 * time.Minute)):
		_ = cmd.Process.Kill()
		t.Fatalf("the CLI on a terminal did not end (a hang); it printed:\n%s", out.String())
	}
	// Once the CLI is gone, reading the terminal ends with EIO (Linux).
	if rerr := <-read; rerr != nil && !errors.Is(rerr, syscall.EIO) {
		require.NoError(t, rerr)
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n"), code
}

// lastOfLine is what a terminal shows of each line: the text after its
// last carriage return (a progress bar redraws itself with them).
func lastOfLine(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// gateEnv names a directory: the test-only scanner gated holds each file
// that says "WAIT:NAME" until a file NAME is there.
const gateEnv = "FORKSCAN_TEST_GATE"

// gated finds what flagger finds, and holds the files that say WAIT:NAME
// until their gate opens (or their job is cancelled).
func init() {
	wait := regexp.MustCompile(`WAIT:(\w+)`)
	scan.Register(scan.Def{Name: "gated", Content: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, f *scan.File) (scan.Report, error) {
			if m := wait.FindSubmatch(f.Data); m != nil {
				for {
					if _, err := os.Stat(filepath.Join(os.Getenv(gateEnv), string(m[1]))); err == nil {
						break
					}
					select {
					case <-ctx.Done():
						return scan.Report{}, ctx.Err()
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			if bytes.Contains(f.Data, []byte("SECRET")) {
				return scan.Report{Findings: []scan.Finding{{Rule: "secret-word", Line: 1}}}, nil
			}
			return scan.Report{}, nil
		}), nil
	}})
}

// On a terminal, with no --format, a scan prints text for people: no JSON,
// the files with findings and their findings, then the summary.
func TestTerminalGetsText(t *testing.T) {
	root := t.TempDir()
	for i := range 40 {
		write(t, filepath.Join(root, "dir", strings.Repeat("f", i%5+1)+string(rune('a'+i%26))+".txt"), strings.Repeat("plain text\n", i))
	}
	write(t, filepath.Join(root, "leak.txt"), "nothing\nSECRET here\n")

	out, code := onTerminal(t, "scan", "-s", "inventory", "-w", "2", root)
	require.Equal(t, exitOK, code, out)
	require.NotContains(t, out, "{", "no JSON on a terminal")
	lines := lastOfLine(out)
	require.Len(t, lines, 1, "no findings: the summary alone\n%s", out)
	require.Regexp(t, `^forkscan: 41 files, 41 results \(41 ok`, lines[0])

	out, code = onTerminal(t, "scan", "-s", "flagger", "-w", "2", "--progress", "bar", root)
	require.Equal(t, exitFindings, code, out)
	require.NotContains(t, out, "{")
	lines = lastOfLine(out)
	require.GreaterOrEqual(t, len(lines), 3, out)
	require.Equal(t, "leak.txt", strings.TrimPrefix(lines[0], root+string(filepath.Separator)), "the file, as a person names it\n%s", out)
	require.Regexp(t, regexp.MustCompile(`^  1  secret-word$`), lines[1])
	require.Regexp(t, `^forkscan: 41 files, 41 results \(41 ok, 0 error, 0 skipped\), 1 finding;`, lines[2])

	// --format wins over the terminal.
	out, code = onTerminal(t, "scan", "-s", "inventory", "--format", "jsonl", filepath.Join(root, "leak.txt"))
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, `"scanner":"inventory"`)
}

// The progress bar and the records on one terminal: the scanner holds
// leak.txt until the bar is drawn, and zz-wait.txt until the bar is drawn
// again below leak.txt's records; on the line where they begin, the bar
// was drawn and then wiped off before them, so the two never share a line.
func TestTerminalBarNeverSharesALineWithRecords(t *testing.T) {
	root := t.TempDir()
	for i := range 20 {
		write(t, filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), "plain text\n")
	}
	leak := filepath.Join(root, "leak.txt")
	write(t, leak, "WAIT:drawn\nSECRET here\n")
	write(t, filepath.Join(root, "zz-wait.txt"), "WAIT:redrawn\n")
	gate := t.TempDir()
	open := func(name string) { require.NoError(t, os.WriteFile(filepath.Join(gate, name), nil, 0o644)) }
	cmd := exec.Command(os.Args[0], "scan", "-s", "gated", "-w", "2", "--progress", "bar", root)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0", "CI=", "NO_COLOR=1", gateEnv+"="+gate)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	require.NoError(t, err)
	defer tty.Close()
	var shown syncBuffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&shown, tty); read <- err }()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	const bar = "% |" // "  5% |████      | (12/245 B)"
	testwait.For(t, time.Minute, "the bar drawn", func() bool { return strings.Contains(shown.String(), bar) })
	open("drawn")
	record := leak + "\r\n  1  secret-word\r\n"
	testwait.For(t, time.Minute, "the records of leak.txt", func() bool { return strings.Contains(shown.String(), record) })
	testwait.For(t, time.Minute, "the bar drawn again below the records", func() bool {
		_, after, _ := strings.Cut(shown.String(), record)
		return strings.Contains(after, bar)
	})
	open("redrawn")
	err = testwait.Chan(t, time.Minute, "the CLI to end once the gates opened", waited)
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, exitFindings, exit.ExitCode())
	if rerr := <-read; rerr != nil && !errors.Is(rerr, syscall.EIO) {
		require.NoError(t, rerr)
	}

	text := strings.ReplaceAll(shown.String(), "\r\n", "\n")
	// The line the records begin on: the bar, then spaces over it and back
	// to its start, then the records.
	require.Regexp(t, regexp.QuoteMeta(bar)+`[^\n]*\r +\r`+regexp.QuoteMeta(leak)+`\n  1  secret-word\n`, text, "the bar drawn and wiped before the records:\n%q", text)
	lines := lastOfLine(text)
	require.Regexp(t, `^forkscan: 22 files, 22 results \(22 ok, 0 error, 0 skipped\), 1 finding;`, lines[len(lines)-1], "%q", text)
}

// Ctrl-C typed at a terminal while the bar shows: the terminal echoes ^C
// after the bar, and the notice that the run stops begins a line of its
// own (the bar's line is ended first, never glued to it); the summary
// ends with the command that carries the run on.
func TestTerminalCtrlC(t *testing.T) {
	root := t.TempDir()
	for i := range 4 {
		write(t, filepath.Join(root, fmt.Sprintf("f%d.txt", i)), strings.Repeat("x", 10*i))
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	marks := t.TempDir()
	args := []string{"scan", "-s", "stubborn", "-w", "2", "--grace", "300ms", "--progress", "bar", "-o", out, root}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "GORACE=atexit_sleep_ms=0", "CI=", "NO_COLOR=1", marksEnv+"="+marks)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	require.NoError(t, err)
	defer tty.Close()
	var shown syncBuffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&shown, tty); read <- err }()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	waitForMarks(t, marks, 2)
	workers := proctest.Children(cmd.Process.Pid)
	testwait.For(t, 30*time.Second, "the bar drawn", func() bool { return strings.Contains(shown.String(), "0 files scanned") })
	_, err = tty.Write([]byte{3}) // Ctrl-C, as typed
	require.NoError(t, err)
	select {
	case err = <-waited:
	case <-time.After(testwait.Bound(2 * time.Minute)):
		_ = cmd.Process.Kill()
		t.Fatalf("the CLI did not end after Ctrl-C (a hang); it printed:\n%s", shown.String())
	}
	if rerr := <-read; rerr != nil && !errors.Is(rerr, syscall.EIO) {
		require.NoError(t, rerr)
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, exitInterrupted, exit.ExitCode())
	require.Empty(t, proctest.WaitGone(workers, testwait.Bound(30*time.Second)), "workers outlived the CLI")

	text := strings.ReplaceAll(shown.String(), "\r\n", "\n")
	require.Regexp(t, `\^C[^\n]*\nforkscan: interrupt: stopping; `, text, "the terminal's ^C, then the notice on a line of its own")
	lines := lastOfLine(text)
	require.Equal(t, "forkscan: to carry on: forkscan scan --resume "+strings.Join(args[1:], " "), lines[len(lines)-1], "%q", text)
	require.Regexp(t, `(?m)^forkscan: interrupted: 0 files done, 0 failed, 0 cut short, 4 not started`, strings.Join(lines, "\n"))
}

// syncBuffer is a bytes.Buffer that one goroutine fills while another
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
