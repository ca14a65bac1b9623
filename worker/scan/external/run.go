package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
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

// fileRun is what a run of a tool gave one of its files.
type fileRun struct {
	findings []scan.Finding
	data     runData
}

// runData is a run's entry in the record's data.
type runData struct {
	Exit   int    `json:"exit"`
	Files  int    `json:"files,omitempty"` // files in the run, when more than one
	Stdout string `json:"stdout,omitempty"`
}

// run runs t once on names, holding t's semaphore if it has a limit, and
// gives each name what the run found in it. An error is the run's
// failure, for every name: the program missing, a timeout, a crash, an
// exit status not in OKExit, output its Format cannot read, or (with more
// than one name) a finding that names no file of the run.
func (t Tool) run(ctx context.Context, names []string) ([]fileRun, error) {
	if t.Limit > 0 {
		sem := scan.Semaphore(ctx, t.Semaphore(), t.Limit)
		if err := sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		defer func() { _ = sem.Release(1) }()
	}
	runCtx := ctx
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, t.Timeout)
		defer cancel()
	}
	stdout, stderr, code, err := t.exec(runCtx, names)
	switch {
	case ctx.Err() != nil: // the job was cancelled: the engine says why
		return nil, scan.AsError(ctx.Err())
	case runCtx.Err() != nil:
		return nil, scan.Errorf(scan.Timeout, "exec: tool %q ran past its timeout of %v on %s", t.name(), t.Timeout, describe(names))
	case err != nil:
		return nil, t.failure(err, stderr)
	}
	out := make([]fileRun, len(names))
	data := runData{Exit: code}
	if len(names) > 1 {
		data.Files = len(names)
	}
	if t.format() == "" {
		data.Stdout = strings.ToValidUTF8(string(stdout[:min(len(stdout), dataStdout)]), "\uFFFD")
	}
	for i := range out {
		out[i].data = data
	}
	if t.format() == "" {
		return out, nil
	}
	found, err := t.parse(stdout)
	if err != nil {
		return nil, scan.Errorf(scan.ToolError, "exec: tool %q: %v", t.name(), err)
	}
	return out, t.attribute(found, names, out)
}

// parse reads the findings of the tool's output by its format.
func (t Tool) parse(stdout []byte) ([]located, error) {
	if t.format() == "sarif" {
		return parseSARIF(stdout)
	}
	return parseJSON(stdout)
}

// attribute gives each finding to the file of names it names (matched as
// normalPath says: relative, absolute, "./"-prefixed, file: URIs), its
// rule prefixed with the tool's name. In a run of one file every finding
// is that file's, whatever path the tool printed for it; in a run of
// several, a finding that names no file of the run is an error,
// which splits the run (see runSplit): never dropped, never given to the
// wrong file.
func (t Tool) attribute(found []located, names []string, out []fileRun) error {
	index := pathIndex(names)
	for _, l := range found {
		l.finding.Rule = t.name() + "/" + l.finding.Rule
		i, ok := index[normalPath(l.file)]
		ok = ok && i >= 0
		switch {
		case len(names) == 1:
			i = 0
		case l.file == "":
			return scan.Errorf(scan.ToolError, "exec: tool %q reported a finding that names no file, in a run of %d files: %w", t.name(), len(names), errUnnamed)
		case !ok:
			return scan.Errorf(scan.ToolError, "exec: tool %q reported a finding for %q, which is not a file it was given (%s)", t.name(), l.file, describe(names))
		}
		out[i].findings = append(out[i].findings, l.finding)
	}
	return nil
}

// pathIndex maps the normalPath of each of names to its index, and also
// the name as a JSON encoder prints a name that is not UTF-8 (each byte
// that is not as U+FFFD, as Go, Python and Node do), when no other name
// reads the same; two names that read the same map to -1.
func pathIndex(names []string) map[string]int {
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[normalPath(n)] = i
	}
	for i, n := range names {
		p := normalPath(n)
		lossy := string([]rune(p)) // each invalid byte as U+FFFD
		if lossy == p {
			continue
		}
		if _, taken := index[lossy]; taken {
			index[lossy] = -1
		} else {
			index[lossy] = i
		}
	}
	return index
}

// errUnnamed is a finding without a file in a run of several: the tool
// does not say which file its findings are in, and takes one file at a
// time to be understood.
var errUnnamed = errors.New("the tool names no file")

// describe names the files of a run for a message.
func describe(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return fmt.Sprintf("%d files (%s, ...)", len(names), names[0])
}

// exec starts the tool in a process group of its own and waits for it. A
// cancelled ctx kills the whole group; so does the end of the run, for
// anything the tool left behind. An exit status in OKExit is not an error.
func (t Tool) exec(ctx context.Context, names []string) (stdout, stderr []byte, code int, err error) {
	argv := t.argv(names)
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

// argv is the command with the placeholder replaced: an argument that is
// the placeholder alone becomes every name, one argument each; in any
// other argument it stands for the one name (such a tool runs per file).
// A name that begins with "-" gets "./" before it, so that no tool takes
// a file for an option. The ConfigPlaceholder argument becomes the Config.
func (t Tool) argv(names []string) []string {
	safe := make([]string, len(names))
	for i, n := range names {
		if strings.HasPrefix(n, "-") {
			n = "." + string(filepath.Separator) + n
		}
		safe[i] = n
	}
	argv := []string{t.Command[0]}
	for _, a := range t.Command[1:] {
		switch {
		case a == Placeholder:
			argv = append(argv, safe...)
		case a == ConfigPlaceholder:
			argv = append(argv, t.Config)
		case strings.Contains(a, Placeholder):
			argv = append(argv, strings.ReplaceAll(a, Placeholder, safe[0]))
		default:
			argv = append(argv, a)
		}
	}
	return argv
}

// failure sorts a failed run into its category.
func (t Tool) failure(err error, stderr []byte) *scan.Error {
	name := t.name()
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		e := scan.Errorf(scan.ToolNotFound, "exec: tool %q: %q not found: %w", name, t.Command[0], err)
		if t.Install != "" {
			e.Message += "; to install it: " + t.Install
		}
		return e
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
