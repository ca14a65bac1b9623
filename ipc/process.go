package ipc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// ErrHandshake is wrapped by every error of Start: the child did not become
// a worker (it could not be run, exited, printed something other than the
// handshake, or did not answer in time).
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
	// StartTimeout bounds the wait for the handshake. If zero, 10s.
	StartTimeout time.Duration
}

// Process is a running worker process and the parent's end of its stream.
type Process struct {
	cmd    *exec.Cmd
	client *plugin.Client
	cancel context.CancelFunc
	// Stream is the worker's stream, open from Start until Close.
	Stream ParentStream
	// Pid is the worker's process id.
	Pid int
}

// Start runs a worker process, completes the handshake and opens its stream.
// Every error wraps ErrHandshake, and no process is left running after one.
func Start(cfg StartConfig) (*Process, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	timeout := cfg.StartTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{pluginName: &workerPlugin{}},
		Cmd:              cfg.Cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		Stderr:           cfg.Stderr,
		StartTimeout:     timeout,
		GRPCDialOptions:  dialOptions(),
	})
	p, err := open(client)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%w: %s: %w", ErrHandshake, cfg.Cmd.Path, err)
	}
	p.Pid = cfg.Cmd.Process.Pid
	p.cmd = cfg.Cmd
	return p, nil
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

// Close ends the stream and the process: it asks the worker's server to stop,
// waits up to two seconds for the process to exit, then kills it. It blocks
// until the process is gone and go-plugin's goroutines have ended. Safe to
// call more than once.
func (p *Process) Close() {
	p.cancel()
	p.client.Kill()
}
