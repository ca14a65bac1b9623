package engine_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/semline"
	"github.com/forkscan/forkscan/internal/taskboard"
	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/internal/workerproc"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// rogue serves as a worker that breaks the protocol as kind says, once it
// has been given jobs, having marked the first of them running on its board
// as a worker's task would: the parent must end it, charge that job, and run
// the others elsewhere.
func rogue(kind string) {
	fd, _ := strconv.Atoi(os.Getenv(workerproc.LineEnv))
	lineFile := os.NewFile(uintptr(fd), "line")
	boardFD, _ := strconv.Atoi(os.Getenv(workerproc.BoardEnv))
	board, err := taskboard.Open(uintptr(boardFD))
	if err != nil {
		os.Exit(5)
	}
	ipc.Serve(func(s ipc.WorkerStream) error {
		if _, err := s.Recv(); err != nil { // Configure
			return err
		}
		if err := s.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_Ready{Ready: &pb.Ready{}}}); err != nil {
			return err
		}
		broke := false
		for {
			req, err := s.Recv()
			if err != nil {
				return err
			}
			if jobs := req.GetJobs(); jobs != nil && !broke { // once: jobs sent later only wait
				broke = true
				board.Begin(0, jobs.GetIds()[0])
				if err := misbehave(kind, s, lineFile, jobs); err != nil {
					return err
				}
			}
		}
	})
	os.Exit(0)
}

func misbehave(kind string, s ipc.WorkerStream, lineFile *os.File, jobs *pb.Jobs) error {
	results := func(ids ...uint64) *pb.WorkResponse {
		var b pb.Results
		for _, id := range ids {
			wire.AppendResult(&b, wire.Result{JobID: id, Status: pb.Status_STATUS_OK})
		}
		return &pb.WorkResponse{Msg: &pb.WorkResponse_Results{Results: &b}}
	}
	id := jobs.GetIds()[0]
	switch kind {
	case "unknown-job":
		return s.Send(results(id ^ 1<<40))
	case "duplicate":
		return s.Send(results(id, id))
	case "ready-twice":
		return s.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_Ready{Ready: &pb.Ready{}}})
	case "early-complete":
		return s.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_WorkerComplete{WorkerComplete: &pb.WorkerComplete{}}})
	case "malformed":
		return s.Send(&pb.WorkResponse{Msg: &pb.WorkResponse_Results{Results: &pb.Results{JobIds: []uint64{id}}}})
	case "empty":
		return s.Send(&pb.WorkResponse{})
	case "garbage-line":
		_, err := lineFile.Write([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		return err
	case "absurd-semaphore":
		line, err := semline.New(lineFile.Fd())
		if err != nil {
			return err
		}
		req := &pb.SemaphoreRequest{RequestId: 1, Name: "x", Weight: -5}
		return line.Write(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRequest{SemaphoreRequest: req}})
	}
	return nil
}

// TestWorkersThatBreakTheProtocolAreEnded starts, as the first worker, one
// that breaks the protocol in one way: the parent ends it, never panics,
// charges the job the rogue was running as for a crash (no retries here: it
// ends as PROCESS_CRASH, naming the breach), and every job still ends in
// exactly one record, the others run by its replacement, uncharged. A
// duplicate's first result is taken: that job has its record, and nothing is
// left running to charge.
func TestWorkersThatBreakTheProtocolAreEnded(t *testing.T) {
	cases := []struct {
		kind    string
		charged int // jobs ended by the breach
	}{
		{"unknown-job", 1}, {"duplicate", 0}, {"ready-twice", 1}, {"early-complete", 1},
		{"malformed", 1}, {"empty", 1}, {"garbage-line", 1}, {"absurd-semaphore", 1},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"noop"}, Workers: 1, Tasks: 1,
				Command: faultyStarts(t, "rogue-"+c.kind, 0, 1)}
			o := runAll(t, context.Background(), cfg, paths(200, "job-%d"))
			require.NoError(t, o.err)
			require.Len(t, o.count, 200, "a record per job")
			for p, n := range o.count {
				require.Equal(t, 1, n, "records for %v", p)
			}
			killed := 0
			for _, w := range o.stats.Workers {
				if w.Killed == "PROCESS_CRASH" {
					killed++
				}
			}
			require.Equal(t, 1, killed, "the rogue was ended: %+v", o.stats.Workers)
			var charged []engine.Result
			for _, r := range o.results {
				if r.Status == engine.StatusOK {
					require.Equal(t, 1, r.Attempts, "%s: not charged", r.Path)
					continue
				}
				charged = append(charged, r)
				require.ErrorIs(t, r.Error, scan.ProcessCrash, "%s: %v", r.Path, r.Error)
				require.Contains(t, r.Error.Message, "broke the protocol", r.Path)
				require.Equal(t, 1, r.Attempts, r.Path)
			}
			require.Len(t, charged, c.charged, "the jobs the rogue was running were charged: %+v", charged)
		})
	}
}
