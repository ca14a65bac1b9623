package shutdown_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/shutdown"
)

// childEnv makes the test binary a child of the kind it names (see child).
const childEnv = "FORKSCAN_SHUTDOWN_CHILD"

// burst is what a polite child writes after it is asked to stop: far more
// than a pipe holds, so it exits only if the parent keeps reading.
const burst = 1 << 20

func TestMain(m *testing.M) {
	if kind := os.Getenv(childEnv); kind != "" {
		child(kind)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// child behaves as kind:
//   - polite: on "stop" it writes burst bytes and exits;
//   - stubborn: ignores "stop" (SIGTERM still kills it);
//   - deaf: ignores "stop" and SIGTERM;
//   - gone: exits at once.
func child(kind string) {
	if kind == "gone" {
		return
	}
	if kind == "deaf" {
		signal.Ignore(syscall.SIGTERM)
	}
	os.Stdout.WriteString("ready\n")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "stop" && kind == "polite" {
			os.Stdout.WriteString(strings.Repeat("r", burst))
			return
		}
	}
	select {} // stdin closed: keep waiting for a signal
}

// proc is a child process as the stop sees it; everything it writes is
// read and counted until EOF, as the engine drains a worker's stream.
type proc struct {
	kind  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	read  atomic.Int64
	done  chan struct{}
}

func startChild(t *testing.T, kind string) *proc {
	t.Helper()
	p := &proc{kind: kind, cmd: exec.Command(os.Args[0], "-test.run=^$"), done: make(chan struct{})}
	// Under -race a process sleeps a second at exit unless told not to.
	p.cmd.Env = append(os.Environ(), childEnv+"="+kind, "GORACE=atexit_sleep_ms=0")
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	br := bufio.NewReader(out)
	if kind != "gone" {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "ready\n", line)
	}
	go func() {
		n, _ := io.Copy(io.Discard, br)
		p.read.Store(n)
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	return p
}

func (p *proc) PID() int                   { return p.cmd.Process.Pid }
func (p *proc) Stop()                      { _, _ = p.stdin.Write([]byte("stop\n")) }
func (p *proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
func (p *proc) Done() <-chan struct{}      { return p.done }

func TestEachProcessEndsInItsPhase(t *testing.T) {
	cases := []struct {
		kind   string
		by     shutdown.Phase
		signal syscall.Signal // what ended it; 0 for a clean exit
	}{
		{"gone", shutdown.Before, 0},
		{"polite", shutdown.Drain, 0},
		{"stubborn", shutdown.Term, syscall.SIGTERM},
		{"deaf", shutdown.Kill, syscall.SIGKILL},
	}
	var procs []shutdown.Process
	var children []*proc
	for _, c := range cases {
		p := startChild(t, c.kind)
		children = append(children, p)
		procs = append(procs, p)
	}
	<-children[0].done // "gone" is gone before the stop begins

	// Grace and TermWait are generous, and scaled (testwait): the polite
	// child must end within the one, the stubborn child die of SIGTERM
	// within the other, even on a loaded machine. The stubborn and deaf
	// children make the stop wait them out in full.
	cfg := shutdown.Config{Grace: testwait.Bound(3 * time.Second), TermWait: testwait.Bound(2 * time.Second)}
	rep := shutdown.Stop(context.Background(), cfg, procs)

	require.False(t, rep.Hurried)
	var phases []shutdown.Phase
	for _, ph := range rep.Phases {
		phases = append(phases, ph.Phase)
	}
	require.Equal(t, []shutdown.Phase{shutdown.Signal, shutdown.Drain, shutdown.Term, shutdown.Kill, shutdown.Final}, phases)
	for i, c := range cases {
		p := children[i]
		require.Equal(t, shutdown.Ended{PID: p.PID(), By: c.by}, rep.Processes[i], c.kind)
		select {
		case <-p.done:
		default:
			t.Fatalf("%s: Stop returned before the process was done", c.kind)
		}
		ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if c.signal == 0 {
			require.True(t, ws.Exited(), "%s: %v", c.kind, p.cmd.ProcessState)
		} else {
			require.Equal(t, c.signal, ws.Signal(), "%s: %v", c.kind, p.cmd.ProcessState)
		}
	}
	require.EqualValues(t, burst, children[1].read.Load(), "the polite child's last output was read in full")
	require.Equal(t, "stopped 4 processes in", strings.Join(strings.Fields(rep.String())[:4], " "))
	require.Contains(t, rep.String(), "1 already gone, 1 when asked, 1 by SIGTERM, 1 by SIGKILL")
}

func TestCooperativeProcessesNeedNoSignal(t *testing.T) {
	var procs []shutdown.Process
	for range 4 {
		procs = append(procs, startChild(t, "polite"))
	}
	rep := shutdown.Stop(context.Background(), shutdown.Config{Grace: time.Minute}, procs)
	require.Equal(t, 4, rep.Count(shutdown.Drain), rep.String())
	require.Len(t, rep.Phases, 2, "only Signal and Drain ran: %v", rep.Phases)
	for _, p := range procs {
		require.EqualValues(t, burst, p.(*proc).read.Load())
	}
}

func TestHurrySkipsToKill(t *testing.T) {
	stubborn, deaf := startChild(t, "stubborn"), startChild(t, "deaf")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel) // the second Ctrl-C
	cfg := shutdown.Config{Grace: time.Hour, TermWait: time.Hour}
	rep := shutdown.Stop(ctx, cfg, []shutdown.Process{stubborn, deaf})

	require.True(t, rep.Hurried)
	require.Equal(t, 2, rep.Count(shutdown.Kill), rep.String())
	for _, ph := range rep.Phases {
		require.NotEqual(t, shutdown.Term, ph.Phase, "the SIGTERM phase is skipped when hurried")
	}
	require.Equal(t, syscall.SIGKILL, stubborn.cmd.ProcessState.Sys().(syscall.WaitStatus).Signal())
}

// undying never ends, as a process stuck in the kernel would not.
type undying struct{ done chan struct{} }

func (undying) PID() int                { return -1 }
func (undying) Stop()                   {}
func (undying) Signal(os.Signal) error  { return os.ErrProcessDone }
func (u undying) Done() <-chan struct{} { return u.done }

func TestStopIsBoundedEvenIfAProcessNeverEnds(t *testing.T) {
	u := undying{done: make(chan struct{})}
	cfg := shutdown.Config{Grace: 50 * time.Millisecond, TermWait: 50 * time.Millisecond, KillWait: 50 * time.Millisecond}
	rep := shutdown.Stop(context.Background(), cfg, []shutdown.Process{u})
	require.Equal(t, []shutdown.Ended{{PID: -1, By: shutdown.NotEnded}}, rep.Processes)
	require.Contains(t, rep.String(), "1 NOT ENDED")
}

func TestPhaseNames(t *testing.T) {
	cases := []struct {
		p    shutdown.Phase
		want string
	}{
		{shutdown.NotEnded, "not ended"}, {shutdown.Before, "before"}, {shutdown.Signal, "signal"},
		{shutdown.Drain, "drain"}, {shutdown.Term, "term"}, {shutdown.Kill, "kill"},
		{shutdown.Final, "final"}, {shutdown.Phase(42), "Phase(42)"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.p.String())
	}
}
