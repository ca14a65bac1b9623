package ipc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"

	"github.com/hashicorp/go-plugin/runner"
)

// cmdRunner is go-plugin's runner.Runner for a worker process. go-plugin's
// own command runner does the same work, but it is internal to go-plugin
// and hides two things a parent needs while the handshake is still under
// way: the process, to kill a start that was cancelled or ran out of time,
// and what the process printed on stdout, to tell a program that does not
// speak the protocol from one that died.
type cmdRunner struct {
	cmd     *exec.Cmd
	stdout  io.ReadCloser
	stderr  io.ReadCloser
	printed *firstBytes
	guard   *guard
}

// guard lets another goroutine kill a process that is starting: before it
// exists (it then never starts) or once it does.
type guard struct {
	mu     sync.Mutex
	proc   *os.Process
	killed bool
}

func (g *guard) kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.killed = true
	if g.proc != nil {
		_ = g.proc.Kill()
	}
}

var _ runner.Runner = (*cmdRunner)(nil)

// newCmdRunner prepares cmd to be run by go-plugin, which passes spec: a
// command whose environment holds the handshake. cmd keeps its own
// environment first, so that what go-plugin adds (this process's
// environment, then the handshake) wins where both name a variable.
func newCmdRunner(cmd, spec *exec.Cmd, g *guard) (*cmdRunner, error) {
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.Stdin = nil // a worker reads nothing from the terminal
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	printed := &firstBytes{max: 512}
	return &cmdRunner{cmd: cmd, stdout: readCloser{io.TeeReader(out, printed), out}, stderr: errPipe, printed: printed, guard: g}, nil
}

func (r *cmdRunner) Start(context.Context) error {
	g := r.guard
	g.mu.Lock()
	if g.killed {
		g.mu.Unlock()
		return errStartCancelled
	}
	if err := r.cmd.Start(); err != nil {
		g.mu.Unlock()
		return &notRunnable{err}
	}
	g.proc = r.cmd.Process
	g.mu.Unlock()
	return nil
}

func (r *cmdRunner) Wait(context.Context) error { return r.cmd.Wait() }

func (r *cmdRunner) Kill(context.Context) error {
	err := r.cmd.Process.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

func (r *cmdRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *cmdRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *cmdRunner) Name() string          { return r.cmd.Path }

func (r *cmdRunner) ID() string {
	if r.cmd.Process == nil { // go-plugin asks only after Start, on its own goroutine
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

func (r *cmdRunner) Diagnose(context.Context) string { return "" }

func (r *cmdRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *cmdRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// notRunnable is the error of a command that could not be started at all.
type notRunnable struct{ err error }

func (e *notRunnable) Error() string { return e.err.Error() }
func (e *notRunnable) Unwrap() error { return e.err }

var errStartCancelled = errors.New("the start was cancelled")

// firstBytes keeps the first bytes written to it.
type firstBytes struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (f *firstBytes) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if room := f.max - len(f.buf); room > 0 {
		f.buf = append(f.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (f *firstBytes) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(bytes.TrimSpace(f.buf))
}

type readCloser struct {
	io.Reader
	io.Closer
}
