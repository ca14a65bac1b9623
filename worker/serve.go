package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// ErrProtocol is returned by Serve when the parent breaks the protocol
// (a stream that does not start with Configure, an unknown scanner).
var ErrProtocol = errors.New("worker: protocol error")

// session is one stream's worth of work: the run's scanners, the jobs
// window, the tasks and the outbox.
type session struct {
	stream   ipc.WorkerStream
	scanners []bound
	all      uint64 // the bit set of every scanner
	maxSize  int64
	ctx      context.Context // cancelled by Shutdown or a broken stream
	cancel   context.CancelFunc
	jobs     chan ipc.Job
	tasks    []*task
	out      *outbox
	jobsDone atomic.Uint64
}

// bound is a registered scanner built for this worker.
type bound struct {
	def scan.Def
	sc  scan.Scanner
}

// Serve runs one worker session on stream: it waits for Configure, builds
// the scanners, answers Ready, then runs jobs until the parent half-closes
// the stream or sends Shutdown, and ends with WorkerComplete. The engine's
// in-process mode calls it on an ipc.Pipe; a worker process calls it on its
// gRPC stream.
func Serve(stream ipc.WorkerStream) error {
	s, err := configure(stream)
	if err != nil {
		return err
	}
	defer s.cancel()
	if err := stream.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_Ready{Ready: &pb.Ready{Pid: int32(os.Getpid())}}}); err != nil {
		return err
	}
	var tasks sync.WaitGroup
	for _, t := range s.tasks {
		tasks.Go(func() { t.run(s) })
	}
	sent := make(chan error, 1)
	go func() { sent <- s.out.run(s) }()

	recvErr := s.receive()
	close(s.jobs)
	tasks.Wait()
	s.out.close()
	if err := <-sent; err != nil {
		return err
	}
	return recvErr
}

func configure(stream ipc.WorkerStream) (*session, error) {
	req, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	cfg := req.GetConfigure()
	if cfg == nil {
		return nil, fmt.Errorf("%w: first message is %T, not Configure", ErrProtocol, req.GetMsg())
	}
	s := &session{stream: stream, maxSize: cfg.GetMaxFileSize()}
	if len(cfg.GetScanners()) > 64 {
		return nil, fmt.Errorf("%w: %d scanners, at most 64", ErrProtocol, len(cfg.GetScanners()))
	}
	for i, name := range cfg.GetScanners() {
		def, ok := scan.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown scanner %q", ErrProtocol, name)
		}
		sc, err := def.New()
		if err != nil {
			return nil, fmt.Errorf("worker: building scanner %q: %w", name, err)
		}
		s.scanners = append(s.scanners, bound{def: def, sc: sc})
		s.all |= 1 << i
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.jobs = make(chan ipc.Job, max(cfg.GetWindow(), 1))
	s.out = newOutbox()
	for range max(cfg.GetTasks(), 1) {
		s.tasks = append(s.tasks, newTask(s.ctx))
	}
	return s, nil
}

// receive reads the parent's requests until EOF (no more jobs), Shutdown,
// or a broken stream.
func (s *session) receive() error {
	for {
		req, err := s.stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			s.cancel()
			return err
		}
		switch m := req.GetMsg().(type) {
		case *pb.WorkRequest_Jobs:
			err := ipc.EachJob(m.Jobs, func(j ipc.Job) {
				select {
				case s.jobs <- j:
				case <-s.ctx.Done():
				}
			})
			if err != nil {
				s.cancel()
				return err
			}
		case *pb.WorkRequest_Cancel:
			s.cancelJob(m.Cancel.GetJobId())
		case *pb.WorkRequest_Shutdown:
			s.cancel()
			return nil
		}
	}
}

func (s *session) cancelJob(id uint64) {
	for _, t := range s.tasks {
		t.cancelIf(id)
	}
}
