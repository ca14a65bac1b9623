package ipc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// ErrHandshake is wrapped by every error of Start: the child did not become
// a worker (it could not be run, exited, printed something other than the
// handshake, or did not answer in time). The error is a *StartError, which
// says which.
var ErrHandshake = errors.New("worker handshake failed")

// StartConfig says how to start one worker process.
type StartConfig struct {
	// Cmd is the command to run, not yet started. Start adds the handshake
	// to its environment and takes over its stdin, stdout and stderr; its
	// SysProcAttr and ExtraFiles are kept. Required.
	Cmd *exec.Cmd
	// Logger receives go-plugin's own logging. If nil, it is discarded.
	Logger hclog.Logger
	// Stderr receives the worker's stderr, line by line. If nil, discarded.
	Stderr io.Writer
	// StartTimeout bounds the wait for the handshake. If zero, go-plugin's
	// own bound (a minute); engine.Config.StartTimeout is what forkscan
	// passes.
	StartTimeout time.Duration
}

// Process is a running worker process and the parent's end of its stream,
// as Start returns it; the zero value is not usable.
type Process struct {
	cmd    *exec.Cmd
	client *plugin.Client
	cancel context.CancelFunc
	// Stream is the worker's stream, open from Start until Close.
	Stream ParentStream
	// Pid is the worker's process id.
	Pid int
}

// StartError is the error of a worker process that did not start: what it
// did instead of the handshake. It wraps ErrHandshake and the cause.
type StartError struct {
	Path string // the program
	Err  error  // the cause: the system's, go-plugin's, or the context's
	// Exit is how the process ended, if it had: "exit status 3",
	// "signal: killed"; empty if it never ran or had not ended.
	Exit string
	// Printed is what the process printed on its stdout in place of a
	// handshake (the start of it), if anything.
	Printed string
	// notRunnable: the program could not be started at all.
	notRunnable bool
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s: ", ErrHandshake, e.Path)
	switch {
	case e.notRunnable || e.spoke():
		fmt.Fprint(&b, e.Err)
	case e.Printed != "":
		fmt.Fprintf(&b, "it printed %q instead of a handshake", e.Printed)
	case e.Exited():
		fmt.Fprint(&b, "it ended before its handshake")
	default:
		fmt.Fprint(&b, e.Err)
	}
	if e.Exit != "" {
		fmt.Fprintf(&b, " (%s)", e.Exit)
	}
	return b.String()
}

func (e *StartError) Unwrap() []error { return []error{ErrHandshake, e.Err} }

// Permanent reports whether starting the same command again would fail the
// same way: the program could not be run (missing, not executable, not a
// program for this machine), or it printed something that is not a worker's
// handshake, so it does not speak the protocol.
func (e *StartError) Permanent() bool {
	return e.notRunnable || (e.Printed != "" && !e.spoke())
}

// Exited reports whether the process ended by itself, with an exit status,
// before its handshake: it was not killed.
func (e *StartError) Exited() bool { return strings.HasPrefix(e.Exit, "exit status") }

// spoke reports whether what the process printed begins like a handshake of
// this protocol, so that its start failed after it had spoken.
func (e *StartError) spoke() bool {
	return strings.HasPrefix(e.Printed, fmt.Sprintf("%d|%d|", plugin.CoreProtocolVersion, Handshake.ProtocolVersion))
}

// Start runs a worker process, completes the handshake and opens its
// stream. When ctx ends before that, the process is killed and Start
// returns ctx's cause. Every error is a *StartError, and no process is left
// running after one.
func Start(ctx context.Context, cfg StartConfig) (*Process, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	g := &guard{}
	var run *cmdRunner // set by go-plugin's call of RunnerFunc, on this goroutine
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{pluginName: &workerPlugin{}},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		Stderr:           cfg.Stderr,
		StartTimeout:     cfg.StartTimeout,
		GRPCDialOptions:  dialOptions(),
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
			var err error
			run, err = newCmdRunner(cfg.Cmd, spec, g)
			return run, err
		},
	})
	stop := context.AfterFunc(ctx, g.kill)
	p, err := open(client)
	if !stop() && err == nil { // killed on its way: the stream is dead
		p.cancel()
		err = context.Cause(ctx)
	}
	if err != nil {
		client.Kill() // reaps the process and ends go-plugin's goroutines
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return nil, newStartError(cfg.Cmd, run, err)
	}
	p.Pid = cfg.Cmd.Process.Pid
	p.cmd = cfg.Cmd
	return p, nil
}

func newStartError(cmd *exec.Cmd, run *cmdRunner, err error) *StartError {
	e := &StartError{Path: cmd.Path, Err: err}
	if run != nil {
		e.Printed = run.printed.String()
	}
	var nr *notRunnable
	if errors.As(err, &nr) {
		e.notRunnable, e.Err = true, nr.err
	}
	if cmd.ProcessState != nil {
		e.Exit = cmd.ProcessState.String()
	}
	return e
}

func open(client *plugin.Client) (*Process, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := raw.(pb.WorkerServiceClient).Work(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	return &Process{client: client, cancel: cancel, Stream: stream}, nil
}

// Exited reports whether the worker process has exited.
func (p *Process) Exited() bool { return p.client.Exited() }

// ExitStatus describes how the process ended, such as "exit status 3" or
// "signal: segmentation fault"; "" while it runs, or if unknown.
func (p *Process) ExitStatus() string {
	if !p.client.Exited() || p.cmd.ProcessState == nil {
		return ""
	}
	return p.cmd.ProcessState.String()
}

// Kill kills the process at once (SIGKILL); Close still has to be called.
func (p *Process) Kill() error { return p.cmd.Process.Kill() }

// Signal sends sig to the process; after it has been reaped, it returns
// os.ErrProcessDone and signals nothing.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Close ends the stream and the process: it asks the worker's server to
// stop, waits up to two seconds for the process to exit, then kills it. It
// blocks until the process is gone and go-plugin's goroutines have ended.
// A process that cannot answer (stopped, hung) must be killed first: the
// request to stop would wait for it. Safe to call more than once.
func (p *Process) Close() {
	p.cancel()
	p.client.Kill()
}
