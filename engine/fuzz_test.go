package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/taskboard"
	"github.com/forkscan/forkscan/internal/wire"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// FuzzUpstream feeds the parent's handling of a worker's messages (its
// stream and its semaphore line) whatever bytes decode as a message, twice
// over, on a worker holding four jobs of two scanners: it must never
// panic, never record a (job, scanner) twice nor one it was not given,
// reject what it does not take as a protocol error, and keep its books: a
// job leaves the worker's window, and is settled, exactly when each of its
// scanners has its record (no retries here).
func FuzzUpstream(f *testing.F) {
	seed := func(m *pb.WorkResponse) {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var ok pb.Results
	for slot := range uint64(4) {
		for sc := range uint32(2) {
			wire.AppendResult(&ok, wire.Result{JobID: 1<<32 | slot, Scanner: sc, Status: pb.Status_STATUS_OK})
		}
	}
	ok.BusyNs, ok.JobsFinished = 4000, 4
	seed(&pb.WorkResponse{Msg: &pb.WorkResponse_Results{Results: &ok}})
	seed(&pb.WorkResponse{Msg: &pb.WorkResponse_WorkerComplete{WorkerComplete: &pb.WorkerComplete{JobsDone: 4}}})
	seed(&pb.WorkResponse{Msg: &pb.WorkResponse_Metrics{Metrics: &pb.Metrics{JobsDone: 1}}})
	seed(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRequest{SemaphoreRequest: &pb.SemaphoreRequest{RequestId: 1, Name: "s", Weight: 1, Capacity: 2}}})
	seed(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: &pb.SemaphoreRelease{Name: "s", Weight: 1}}})
	f.Fuzz(func(t *testing.T, data []byte) {
		var msg pb.WorkResponse
		if proto.Unmarshal(data, &msg) != nil {
			return
		}
		r, p, handles, done := upstreamHarness(t)
		defer done()
		seen := map[[2]string]bool{}
		for range 2 {
			errs := []error{r.handle(p, &msg), r.semaphoreMessage(p, &msg)}
			for _, err := range errs {
				if err != nil && !errors.Is(err, errProtocol) {
					t.Fatalf("an error that is not a protocol error: %v", err)
				}
			}
			for len(r.out) > 0 {
				for _, res := range <-r.out {
					k := [2]string{res.Path, res.Scanner}
					if seen[k] {
						t.Fatalf("a second record for %v", k)
					}
					if _, given := handles[res.Path]; !given || (res.Scanner != "a" && res.Scanner != "b") {
						t.Fatalf("a record for %v, which the worker was not given", k)
					}
					seen[k] = true
				}
			}
			checkBooks(t, r, p, handles, seen)
		}
	})
}

// checkBooks checks that the jobs whose every scanner has its record, and
// only those, have left p's window and are settled.
func checkBooks(t *testing.T, r *Run, p *proc, handles map[string]uint64, seen map[[2]string]bool) {
	t.Helper()
	complete := 0
	for path, h := range handles {
		done := seen[[2]string{path, "a"}] && seen[[2]string{path, "b"}]
		if done {
			complete++
		}
		if held := p.window.get(h) != nil; held == done {
			t.Fatalf("job %s: every record delivered %v, still in the window %v", path, done, held)
		}
	}
	if settled := int(r.stats.settled.Load()); settled != complete {
		t.Fatalf("%d jobs settled, %d have every record", settled, complete)
	}
}

// upstreamHarness is a run with one worker, no process behind it, holding
// four jobs of the run's two scanners, whose handles it returns by path.
func upstreamHarness(t *testing.T) (*Run, *proc, map[string]uint64, func()) {
	cfg := Config{Scanners: []string{"a", "b"}, Workers: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.withDefaults()
	r, err := newRun(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.out = make(chan []Result, 64)
	r.pending.Store(1 << 20)
	line, other, err := semline.LocalPair()
	if err != nil {
		t.Fatal(err)
	}
	p := r.newProc(0)
	p.stream, p.line, p.board = idleStream{}, line, taskboard.Local(cfg.Tasks)
	p.credits.Resize(8)
	handles := map[string]uint64{}
	for _, path := range []string{"w", "x", "y", "z"} {
		handles[path] = p.window.put(&job{path: path, want: 0b11, attempts: 1})
	}
	return r, p, handles, func() {
		r.sems.ReleaseAll(p.holder)
		_ = line.Close()
		_ = other.Close()
		r.cancel(nil)
		r.stopStarting(nil)
		r.hurryNow()
	}
}

// idleStream is a worker's stream that carries nothing.
type idleStream struct{}

func (idleStream) Send(*pb.WorkRequest) error      { return nil }
func (idleStream) Recv() (*pb.WorkResponse, error) { return nil, io.EOF }
func (idleStream) CloseSend() error                { return nil }
