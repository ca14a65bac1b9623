package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/taskboard"
	"github.com/forkscan/forkscan/internal/workerproc"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/semregistry"
)

// holders numbers the workers of every run of this process, as holders of
// semaphores: runs may share a registry (Config.Registry), and a worker's
// leases must never be taken for another's.
var holders atomic.Uint64

// proc is the parent's handle on one worker, process or goroutine.
type proc struct {
	slot      int // place in the pool, kept by its replacements
	pid       int
	stream    ipc.ParentStream
	sendMu    sync.Mutex       // a stream takes one sender at a time
	line      *semline.Line    // semaphore traffic
	board     *taskboard.Board // the jobs its tasks are running
	holder    semregistry.Holder
	endFn     func() // ends the worker and waits for it
	endOnce   sync.Once
	killFn    func()                // kills a worker process at once; nil in-process
	abortFn   func()                // ends a start that failed: killFn, or cuts an in-process worker's stream
	signal    func(os.Signal) error // signals a worker process; an error in-process
	gone      chan struct{}         // closed once the worker has ended and its upstream was read to the end
	exit      func() string         // how the process ended, once it has
	stderr    *tail                 // the last lines of its stderr
	heard     atomic.Int64          // when it last sent anything (Unix ns)
	startTook time.Duration         // from spawn to Ready
	credits   *ipc.Credits
	pace      pacer         // sizes credits from the job times; the receiver's alone
	quit      chan struct{} // closed when the sender must stop
	quitOne   sync.Once

	mu        sync.Mutex
	window    *window // jobs in flight
	lost      bool
	complete  bool
	killed    *kill // why the parent killed it, if it did
	finished  int   // jobs it completed
	cancelled map[uint64]bool
	metrics   *pb.Metrics
	waiting   map[uint64]*semregistry.Wait // semaphore requests being waited for, by id
}

// send sends m down p's stream.
func (p *proc) send(m *pb.WorkRequest) error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.stream.Send(m)
}

// closeSend half-closes p's stream: the worker then ends it.
func (p *proc) closeSend() error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.stream.CloseSend()
}

func (p *proc) stop() { p.quitOne.Do(func() { close(p.quit) }) }

// end ends the worker and waits until it is gone. Concurrent and repeated
// calls wait for the first.
func (p *proc) end() {
	p.endOnce.Do(func() {
		p.endFn()
	})
}

// abort ends a worker whose start failed, at once.
func (p *proc) abort() {
	if p.abortFn != nil {
		p.abortFn()
	}
}

// kill kills a worker process at once, recording why (the first reason
// wins); the receiver then finds its stream broken and settles its jobs.
// In-process workers cannot be killed: only the reason is recorded.
func (p *proc) kill(k *kill) {
	p.mu.Lock()
	complete := p.complete
	if p.killed == nil && !complete {
		p.killed = k
	}
	p.mu.Unlock()
	if p.killFn != nil && !complete {
		p.killFn()
	}
}

// newProc returns the parent's handle on a worker about to start in slot.
func (r *Run) newProc(slot int) *proc {
	pace := newPacer(r.cfg.Tasks, r.cfg.Window)
	p := &proc{slot: slot, pace: pace, credits: ipc.NewCredits(pace.first()), quit: make(chan struct{}), window: newWindow(r.cfg.Window),
		holder: semregistry.Holder(holders.Add(1)), waiting: make(map[uint64]*semregistry.Wait),
		cancelled: make(map[uint64]bool), stderr: newTail(stderrTail), gone: make(chan struct{})}
	p.heard.Store(time.Now().UnixNano())
	return p
}

// launch starts a worker for slot and waits until it is ready: spawned,
// handshaken, configured, its scanners built. The start is bounded (see
// watchStart) and ends at once when the run no longer wants workers (it
// was interrupted, or has nothing left to do); a worker that does not make
// it is killed and reaped, and launch says why in a *startError.
func (r *Run) launch(slot int) (p *proc, failed *startError) {
	select { // a start is CPU-bound: one per CPU at a time
	case r.startTokens <- struct{}{}:
		defer func() { <-r.startTokens }()
	case <-r.starting.Done():
		return nil, &startError{slot: slot, err: context.Cause(r.starting)}
	}
	ctx, cancel := context.WithCancelCause(r.starting)
	defer cancel(nil)
	p = r.newProc(slot)
	began := time.Now()
	var watch startWatch
	defer func() { watch.ended(r, failed) }()
	go r.watchStart(ctx, cancel, &watch, began)
	start := r.startProcess
	if r.cfg.InProcess {
		start = r.startGoroutine
	}
	if err := start(ctx, p); err != nil {
		return nil, r.startError(p, err)
	}
	watch.handshaken(p.pid)                 // in-process: this process, whose CPU shows a build going on as well
	stop := context.AfterFunc(ctx, p.abort) // a hang in Configure is ended, not waited for
	err := r.configure(p)
	if !stop() {
		err = context.Cause(ctx)
	}
	if err != nil {
		if !errors.As(err, new(*refused)) { // a worker that refused ends by itself
			p.abort()
		}
		if p.killFn != nil {
			p.end() // reaped: its exit status and stderr are complete
		} else {
			go p.end() // a goroutine stuck in a scanner's constructor cannot be waited for
		}
		return nil, r.startError(p, err)
	}
	p.startTook = time.Since(began)
	return p, nil
}

// configure sends a started worker the run's configuration and waits for
// its Ready.
func (r *Run) configure(p *proc) error {
	cfg := &pb.Configure{
		Scanners:          r.cfg.Scanners,
		Tasks:             uint32(r.cfg.Tasks),
		Window:            uint32(r.cfg.Window),
		MaxFileSize:       r.cfg.MaxFileSize,
		MaxArchiveDepth:   uint32(min(r.cfg.MaxArchiveDepth, math.MaxUint32)),
		MaxArchiveSize:    r.cfg.MaxArchiveSize,
		MaxArchiveMembers: uint32(min(r.cfg.MaxArchiveMembers, math.MaxUint32)),
		MaxArchiveRatio:   uint32(min(r.cfg.MaxArchiveRatio, math.MaxUint32)),
		ScannerOptions:    r.cfg.ScannerOptions,
		Within:            r.cfg.Within,
		History:           r.cfg.History,
		HistoryPartBytes:  r.cfg.HistoryPartBytes,
		HistoryPartFiles:  uint32(min(max(r.cfg.HistoryPartFiles, 0), math.MaxUint32)),
	}
	if err := p.send(&pb.WorkRequest{Msg: &pb.WorkRequest_Configure{Configure: cfg}}); err != nil {
		return err
	}
	msg, err := p.stream.Recv()
	if err != nil {
		return err
	}
	switch m := msg.GetMsg().(type) {
	case *pb.WorkResponse_Ready:
		p.heard.Store(time.Now().UnixNano())
		return nil
	case *pb.WorkResponse_ConfigureFailed:
		return &refused{ipc.ErrorFromWire(m.ConfigureFailed.GetError())}
	}
	return fmt.Errorf("%w: the worker answered Configure with %T, not Ready", errNotAWorker, msg.GetMsg())
}

func (r *Run) startGoroutine(_ context.Context, p *proc) error {
	// The pipe outlives the run's context, as a process's socket does: an
	// interrupted run still reads what its workers made.
	ctx, cancel := context.WithCancel(context.Background())
	parent, w := ipc.Pipe(ctx)
	line, workerLine, err := semline.LocalPair()
	if err != nil {
		cancel()
		return err
	}
	p.board = taskboard.Local(r.cfg.Tasks)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		if err := workerproc.Serve(w, workerLine, p.board); err != nil && !errors.Is(err, context.Canceled) {
			r.log.Debug("in-process worker ended", "slot", p.slot, "error", err)
		}
	}()
	p.pid = os.Getpid()
	p.stream = parent
	p.line = line
	p.endFn = func() { cancel(); <-done; _ = line.Close() }
	p.abortFn = cancel // a goroutine cannot be killed: its stream is cut
	p.exit = func() string { return "" }
	p.signal = func(os.Signal) error { return errNotAProcess }
	return nil
}

func (r *Run) startProcess(ctx context.Context, p *proc) error {
	line, lineEnd, err := semline.Pair()
	if err != nil {
		return err
	}
	board, boardEnd, err := taskboard.New(r.cfg.Tasks)
	if err != nil {
		_ = line.Close()
		_ = lineEnd.Close()
		return err
	}
	cmd, err := r.command(lineEnd, boardEnd)
	if err == nil {
		var proc *ipc.Process
		proc, err = ipc.Start(ctx, ipc.StartConfig{Cmd: cmd, Logger: r.pluginLog, Stderr: p.stderr, StartTimeout: r.cfg.StartTimeout})
		if err == nil {
			p.pid, p.stream, p.line, p.board = proc.Pid, proc.Stream, line, board
			p.endFn = func() { proc.Close(); _ = line.Close(); _ = board.Close() }
			p.killFn = func() { _ = proc.Kill() }
			p.abortFn = p.killFn
			p.signal = proc.Signal
			p.exit = proc.ExitStatus
		}
	}
	_ = lineEnd.Close() // the child has its copies
	_ = boardEnd.Close()
	if err != nil {
		_ = line.Close()
		_ = board.Close()
	}
	return err
}

// command builds a worker's command: its own process group, so that the
// terminal's Ctrl-C reaches only the parent, which decides; SIGKILL if the
// thread that started it dies; the lifeline, whose EOF tells the worker the
// parent is gone however it died; the worker's end of its semaphore line;
// its board; and its share of the CPUs and of the memory limit.
func (r *Run) command(line, board *os.File) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if r.cfg.Command != nil {
		cmd = r.cfg.Command()
	} else {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding this program's binary: %w", err)
		}
		cmd = exec.Command(exe)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.ExtraFiles = append(cmd.ExtraFiles, r.lifeline.read, line, board)
	fd := 2 + len(cmd.ExtraFiles) // ExtraFiles start at descriptor 3
	cmd.Env = append(cmd.Env,
		workerproc.LifelineEnv+"="+strconv.Itoa(fd-2),
		workerproc.LineEnv+"="+strconv.Itoa(fd-1),
		workerproc.BoardEnv+"="+strconv.Itoa(fd))
	if r.cfg.MemoryLimit > 0 {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+strconv.FormatInt(r.cfg.MemoryLimit/10*9, 10))
	}
	if r.cfg.WorkerProcs > 0 {
		// go-plugin appends this process's environment after ours, and the
		// last value wins: a GOMAXPROCS the user set stays in force.
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(r.cfg.WorkerProcs))
	}
	return cmd, nil
}

// lifeline is a pipe whose write end only the parent holds.
type lifeline struct{ read, write *os.File }

func newLifeline() (lifeline, error) {
	r, w, err := os.Pipe()
	return lifeline{read: r, write: w}, err
}

func (l lifeline) close() {
	_ = l.write.Close()
	_ = l.read.Close()
}
