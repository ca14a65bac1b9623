package workerproc

import (
	"sync"
	"time"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// maxResultBatch caps the results in one Results message.
const maxResultBatch = 512

// metricsEvery is how often a worker reports Metrics.
var metricsEvery = time.Second

// outbox collects the tasks' results for the sender. Adding is a mutex and
// an append, cheaper than a channel operation per result; the sender takes
// everything at once and sends it as few messages as the batch cap allows.
// Its size is bounded by the jobs window times the scanners per job.
type outbox struct {
	mu     sync.Mutex
	buf    []wire.Result
	ready  chan struct{} // a token when buf went from empty to not
	closed chan struct{}
	// What the last message with timing said, as totals: read and
	// written by the sender only.
	busySent int64
	doneSent uint64
}

func newOutbox() *outbox {
	return &outbox{ready: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (o *outbox) add(r wire.Result) {
	o.mu.Lock()
	o.buf = append(o.buf, r)
	first := len(o.buf) == 1
	o.mu.Unlock()
	if first {
		select {
		case o.ready <- struct{}{}:
		default:
		}
	}
}

// take returns what was added since the last take, and keeps spare (which
// the caller is done with) to add to next: two buffers, swapped.
func (o *outbox) take(spare []wire.Result) []wire.Result {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buf
	o.buf = spare[:0]
	return b
}

// close says no more results will be added; run then flushes and completes.
func (o *outbox) close() { close(o.closed) }

// run is the sender: results as they come, metrics about once a second, and
// WorkerComplete after the last result.
func (o *outbox) run(s *session) error {
	var spare []wire.Result
	tick := time.NewTicker(metricsEvery)
	defer tick.Stop()
	for {
		select {
		case <-o.ready:
			var err error
			if spare, err = o.flush(s, spare); err != nil {
				return err
			}
		case <-tick.C:
			if err := s.send(s.metrics()); err != nil {
				return err
			}
		case <-o.closed:
			if _, err := o.flush(s, spare); err != nil {
				return err
			}
			jobs, _ := s.done.read()
			done := &pb.WorkerComplete{JobsDone: jobs}
			return s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_WorkerComplete{WorkerComplete: done}})
		}
	}
}

// flush sends everything added so far, and returns the emptied buffer for
// the next take. The first message also says how long the jobs finished
// since the last flush took.
func (o *outbox) flush(s *session, spare []wire.Result) ([]wire.Result, error) {
	taken := o.take(spare)
	done, busy := s.done.read()
	b := taken
	for len(b) > 0 {
		n := min(len(b), maxResultBatch)
		batch := &pb.Results{
			JobIds:   make([]uint64, 0, n),
			Scanners: make([]uint32, 0, n),
			Statuses: make([]pb.Status, 0, n),
		}
		if done > o.doneSent {
			batch.BusyNs, batch.JobsFinished = uint64(busy-o.busySent), uint32(done-o.doneSent)
			o.busySent, o.doneSent = busy, done
		}
		for _, r := range b[:n] {
			wire.AppendResult(batch, r)
		}
		if err := s.send(&pb.WorkResponse{Msg: &pb.WorkResponse_Results{Results: batch}}); err != nil {
			return nil, err
		}
		b = b[n:]
	}
	clear(taken) // drop the details for the collector
	return taken, nil
}

func (s *session) metrics() *pb.WorkResponse {
	jobs, _ := s.done.read()
	m := &pb.Metrics{JobsDone: jobs, RssBytes: uint64(ipc.ResidentBytes(0))}
	for _, t := range s.tasks {
		switch t.state.Load() {
		case stateParsing:
			m.TasksParsing++
		case stateScanning:
			m.TasksScanning++
		default:
			m.TasksIdle++
		}
	}
	return &pb.WorkResponse{Msg: &pb.WorkResponse_Metrics{Metrics: m}}
}
