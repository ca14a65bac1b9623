package workerproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/taskboard"
	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/unpack"
	"github.com/forkscan/forkscan/worker/scan"
)

// Errors of Serve, for errors.Is.
var (
	// ErrProtocol: the parent broke the protocol (a stream that does not
	// start with Configure, jobs after Drain).
	ErrProtocol = errors.New("worker: protocol error")
	// ErrConfigure: the worker cannot serve the configuration (a scanner it
	// does not have, or one that failed to build). Serve has told the
	// parent with ConfigureFailed.
	ErrConfigure = errors.New("worker: cannot serve this configuration")
)

// session is one stream's worth of work: the run's scanners, the jobs
// window, the tasks, the outbox and the semaphore client.
type session struct {
	stream    ipc.WorkerStream
	sendMu    sync.Mutex // a stream takes one sender at a time
	scanners  []bound
	all       uint64 // the bit set of every scanner
	batch     uint64 // the bit set of the batch scanners (scan.BatchScanner, Def.Batch > 1)
	batchMost int    // the most files any of them takes in one call
	// arriving is held while a Jobs message is put on jobs, so that a task
	// forming a batch sees all of it: jobs never fills up (it holds a
	// window), so the holder never waits for a task.
	arriving sync.Mutex
	// forming is held by the task that takes the next job, while it forms
	// its group: the other tasks take theirs after, from what is left.
	// Only in a session with batch scanners.
	forming   sync.Mutex
	maxSize   int64
	history   bool            // every job is a commit of a repository's history
	split     history.Split   // how the history's huge commits were split
	readers   readers         // of the history's repositories, shared by the tasks
	archives  unpack.Limits   // MaxDepth 0: archives are files like any other
	roots     *roots          // the jobs' roots, open
	ctx       context.Context // cancelled by Shutdown or a broken stream
	cancel    context.CancelFunc
	jobs      chan wire.Job
	closeJobs func()
	draining  bool // Drain or Shutdown came; read and written by the receive loop only
	tasks     []*task
	out       *outbox
	sems      *semClient
	board     *taskboard.Board // nil: the parent does not watch the tasks
	done      tally            // jobs done, and the time they took
}

// bound is a registered scanner built for this worker.
type bound struct {
	def scan.Def
	sc  scan.Scanner
}

// Serve runs one worker session on stream: it waits for Configure, builds
// the scanners, answers Ready, then runs jobs until the parent sends Drain
// (or Shutdown), sends WorkerComplete, and returns when the parent
// half-closes the stream. Scanners reach the run's semaphores over line,
// which Serve closes when it returns; with a nil line they have none. The
// tasks record the job each is running on board, if not nil. The
// engine's in-process mode calls Serve on an ipc.Pipe; a worker process
// calls it on its gRPC stream.
func Serve(stream ipc.WorkerStream, line *semline.Line, board *taskboard.Board) error {
	s, err := configure(stream, line)
	if err != nil {
		if line != nil {
			_ = line.Close()
		}
		var refused *refusal
		if errors.As(err, &refused) { // the parent is told why, and starts no other worker
			failed := &pb.ConfigureFailed{Error: ipc.ErrorToWire(refused.err)}
			_ = stream.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_ConfigureFailed{ConfigureFailed: failed}})
		}
		return err
	}
	defer s.cancel()
	defer s.roots.close() // after the tasks: Serve returns once they have ended
	s.board = board
	defer s.sems.close()
	if err := s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_Ready{Ready: &pb.Ready{Pid: int32(os.Getpid())}}}); err != nil {
		return err
	}
	var tasks sync.WaitGroup
	for _, t := range s.tasks {
		tasks.Go(func() { t.run(s) })
	}
	go func() {
		tasks.Wait()
		s.readers.close()
		s.out.close()
	}()
	sent := make(chan error, 1)
	go func() { sent <- s.out.run(s) }()

	recvErr := s.receive()
	s.closeJobs()
	if recvErr != nil {
		s.cancel()
	}
	if err := <-sent; err != nil && recvErr == nil {
		return err
	}
	return recvErr
}

func configure(stream ipc.WorkerStream, line *semline.Line) (*session, error) {
	req, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	cfg := req.GetConfigure()
	if cfg == nil {
		return nil, fmt.Errorf("%w: first message is %T, not Configure", ErrProtocol, req.GetMsg())
	}
	if len(cfg.GetScanners()) > 64 {
		return nil, fmt.Errorf("%w: %d scanners, at most 64", ErrProtocol, len(cfg.GetScanners()))
	}
	s := &session{stream: stream, maxSize: cfg.GetMaxFileSize(), roots: newRoots(cfg.GetWithin()), archives: unpack.Limits{
		MaxDepth: int(cfg.GetMaxArchiveDepth()), MaxBytes: cfg.GetMaxArchiveSize(),
		MaxMembers: int(cfg.GetMaxArchiveMembers()), MaxRatio: int(cfg.GetMaxArchiveRatio()),
		MaxMember: cfg.GetMaxFileSize(), // a member is held in memory as a file is
	}, history: cfg.GetHistory(), split: history.Split{
		Bytes: cfg.GetHistoryPartBytes(), Files: int(cfg.GetHistoryPartFiles()), MaxFile: cfg.GetMaxFileSize(),
	}}
	for i, name := range cfg.GetScanners() {
		def, ok := scan.Lookup(name)
		if !ok {
			return nil, &refusal{scan.Errorf(scan.InvalidInput, "this worker has no scanner %q (it has %v)", name, scan.Names())}
		}
		sc, err := build(def, cfg.GetScannerOptions()[name])
		if err != nil {
			return nil, err
		}
		s.scanners = append(s.scanners, bound{def: def, sc: sc})
		s.all |= 1 << i
		if most := batchMost(def, sc); most > 1 && !s.history { // a commit's changes are read in the worker: no batches
			s.batch |= 1 << i
			s.batchMost = max(s.batchMost, most)
		}
	}
	if s.sems, err = newSemClient(line); err != nil {
		return nil, fmt.Errorf("worker: semaphores: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(scan.WithSemaphores(context.Background(), s.sems))
	s.jobs = make(chan wire.Job, max(cfg.GetWindow(), 1))
	s.closeJobs = sync.OnceFunc(func() { close(s.jobs) })
	s.out = newOutbox()
	for i := range int(max(cfg.GetTasks(), 1)) {
		s.tasks = append(s.tasks, newTask(i, s.ctx))
	}
	return s, nil
}

// tally counts the jobs a worker's tasks finished and the time they spent
// on them, as one pair: a count read without its time would tell the
// parent its jobs take no time at all.
type tally struct {
	mu   sync.Mutex
	jobs uint64
	busy int64 // nanoseconds
}

func (t *tally) add(d time.Duration) {
	t.mu.Lock()
	t.jobs++
	t.busy += int64(d)
	t.mu.Unlock()
}

func (t *tally) read() (jobs uint64, busy int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jobs, t.busy
}

// refusal is why this worker cannot serve a configuration.
type refusal struct{ err *scan.Error }

func (r *refusal) Error() string   { return ErrConfigure.Error() + ": " + r.err.Error() }
func (r *refusal) Unwrap() []error { return []error{ErrConfigure, r.err} }

// build builds a scanner, turning an error or a panic of its constructor
// into a refusal that names the scanner.
func build(def scan.Def, options []byte) (sc scan.Scanner, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &refusal{&scan.Error{Category: scan.ToolError, Message: fmt.Sprintf("building scanner %q panicked: %v", def.Name, v)}}
		}
	}()
	if sc, err = def.Build(options); err != nil {
		e := scan.AsError(err)
		return nil, &refusal{&scan.Error{Category: e.Category, Message: fmt.Sprintf("building scanner %q: %s", def.Name, e.Message), Err: err}}
	}
	return sc, nil
}

func (s *session) send(m *pb.WorkResponse) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.stream.Send(m)
}

// receive reads the parent's requests until it half-closes the stream (nil)
// or the stream breaks. Drain and Shutdown end the intake of jobs; the
// stream stays open for semaphore grants until the parent closes it.
func (s *session) receive() error {
	for {
		req, err := s.stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch m := req.GetMsg().(type) {
		case *pb.WorkRequest_Jobs:
			if err := s.take(m.Jobs); err != nil {
				return err
			}
		case *pb.WorkRequest_Cancel:
			s.cancelJob(m.Cancel.GetJobId())
		case *pb.WorkRequest_Drain:
			s.draining = true
			s.closeJobs()
		case *pb.WorkRequest_Shutdown:
			s.draining = true
			s.cancel()
			s.closeJobs()
		}
	}
}

// take queues a batch of jobs for the tasks. The parent sends no more than
// the window, so this does not block for long; jobs after Drain or
// Shutdown are a protocol error.
func (s *session) take(batch *pb.Jobs) error {
	if s.draining {
		return fmt.Errorf("%w: jobs after Drain or Shutdown", ErrProtocol)
	}
	push := func(j wire.Job) {
		select {
		case s.jobs <- j:
		case <-s.ctx.Done():
		}
	}
	if s.batch == 0 {
		return wire.EachJob(batch, push)
	}
	s.arriving.Lock() // a task forming a batch waits for the whole message
	defer s.arriving.Unlock()
	var jobs []wire.Job
	if err := wire.EachJob(batch, func(j wire.Job) { jobs = append(jobs, j) }); err != nil {
		return err
	}
	for _, j := range deal(jobs, s.idleTasks()) {
		push(j)
	}
	return nil
}

func (s *session) cancelJob(id uint64) {
	for _, t := range s.tasks {
		t.cancelIf(id)
	}
}
