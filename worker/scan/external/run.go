package external

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/forkscan/forkscan/worker/scan"
)

const (
	// maxStdout bounds what is kept of a tool's stdout: its findings.
	maxStdout = 16 << 20
	// stderrTail is how much of the end of a tool's stderr a failure quotes.
	stderrTail = 2 << 10
	// dataStdout is how much of a non-JSON tool's stdout its record keeps.
	dataStdout = 4 << 10
	// waitDelay bounds the wait for a tool's output pipes after it exits
	// or is killed, should something it started still hold them.
	waitDelay = time.Second
)

// outcome is what one run of a tool gave.
type outcome struct {
	findings []scan.Finding
	data     runData
}

// runData is a run's entry in the record's data.
type runData struct {
	Exit   int    `json:"exit"`
	Stdout string `json:"stdout,omitempty"`
}

// run runs t on path, holding t's semaphore if it has a limit.
func (t Tool) run(ctx context.Context, path string) (outcome, error) {
	if t.Limit > 0 {
		sem := scan.Semaphore(ctx, t.Semaphore(), t.Limit)
		if err := sem.Acquire(ctx, 1); err != nil {
			return outcome{}, err
		}
		defer func() { _ = sem.Release(1) }()
	}
	runCtx := ctx
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, t.Timeout)
		defer cancel()
	}
	stdout, stderr, code, err := t.exec(runCtx, path)
	switch {
	case ctx.Err() != nil: // the job was cancelled: the engine says why
		return outcome{}, scan.AsError(ctx.Err())
	case runCtx.Err() != nil:
		return outcome{}, scan.Errorf(scan.Timeout, "exec: tool %q ran past its timeout of %v on %s", t.name(), t.Timeout, path)
	case err != nil:
		return outcome{}, t.failure(err, stderr)
	}
	out := outcome{data: runData{Exit: code}}
	switch t.format() {
	case "":
		out.data.Stdout = strings.ToValidUTF8(string(stdout[:min(len(stdout), dataStdout)]), "\uFFFD")
		return out, nil
	case "sarif":
		out.findings, err = ParseSARIF(stdout)
	default:
		out.findings, err = Parse(stdout)
	}
	if err != nil {
		return outcome{}, scan.Errorf(scan.ToolError, "exec: tool %q: %v", t.name(), err)
	}
	for i := range out.findings {
		out.findings[i].Rule = t.name() + "/" + out.findings[i].Rule
	}
	return out, nil
}

// exec starts the tool in a process group of its own and waits for it. A
// cancelled ctx kills the whole group; so does the end of the run, for
// anything the tool left behind. An exit status in OKExit is not an error.
func (t Tool) exec(ctx context.Context, path string) (stdout, stderr []byte, code int, err error) {
	argv := t.argv(path)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	out := &capped{max: maxStdout}
	errOut := &capped{max: stderrTail, tail: true}
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Start(); err != nil {
		return nil, nil, -1, err
	}
	err = cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever of the group is left
	code = exitCode(err)
	if code > 0 && slices.Contains(t.okExit(), code) {
		err = nil
	}
	if out.over {
		err = errors.Join(err, errStdoutTooLong)
	}
	return out.buf.Bytes(), errOut.buf.Bytes(), code, err
}

var errStdoutTooLong = errors.New("printed more than 16 MiB")

func (t Tool) okExit() []int {
	if len(t.OKExit) == 0 {
		return []int{0}
	}
	return t.OKExit
}

// argv is the command with the placeholder replaced by path.
func (t Tool) argv(path string) []string {
	argv := slices.Clone(t.Command)
	for i := 1; i < len(argv); i++ {
		argv[i] = strings.ReplaceAll(argv[i], Placeholder, path)
	}
	return argv
}

// failure sorts a failed run into its category.
func (t Tool) failure(err error, stderr []byte) *scan.Error {
	name := t.name()
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return scan.Errorf(scan.ToolNotFound, "exec: tool %q: %q not found: %w", name, t.Command[0], err)
	case errors.Is(err, fs.ErrPermission):
		return scan.Errorf(scan.PermissionDenied, "exec: tool %q: %q cannot be run: %w", name, t.Command[0], err)
	case errors.Is(err, errStdoutTooLong):
		e := scan.Errorf(scan.ResourceLimit, "exec: tool %q %v", name, errStdoutTooLong)
		e.Retryable = false
		return e
	case errors.As(err, &exitErr):
		ws, _ := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return scan.Errorf(scan.ProcessCrash, "exec: tool %q killed by signal %v%s", name, ws.Signal(), quote(stderr))
		}
		// The same file would fail the same way: not worth a retry.
		e := scan.Errorf(scan.ToolError, "exec: tool %q exited with status %d%s", name, ws.ExitStatus(), quote(stderr))
		e.Retryable = false
		return e
	}
	return scan.Errorf(scan.ToolError, "exec: tool %q: %w", name, err)
}

func exitCode(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	return 0
}

func quote(stderr []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(stderr), "\uFFFD"))
	if s == "" {
		return ""
	}
	return ": " + s
}

// capped is a writer that keeps at most max bytes: the first ones, or the
// last ones if tail.
type capped struct {
	buf  bytes.Buffer
	max  int
	tail bool
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if c.tail {
		c.buf.Write(p)
		if extra := c.buf.Len() - c.max; extra > 0 {
			c.buf.Next(extra)
		}
		return n, nil
	}
	if room := c.max - c.buf.Len(); len(p) > room {
		p, c.over = p[:room], true
	}
	c.buf.Write(p)
	return n, nil
}
