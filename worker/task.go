package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// Task states, for Metrics.
const (
	stateIdle int32 = iota
	stateParsing
	stateScanning
)

// task is one of a worker's M concurrent runners of jobs. Its context is
// reused from job to job and replaced only after a Cancel, so a job costs
// no context allocation.
type task struct {
	parent context.Context
	state  atomic.Int32

	mu     sync.Mutex
	cur    uint64 // job id running now, 0 when idle
	ctx    context.Context
	cancel context.CancelFunc
}

func newTask(parent context.Context) *task {
	t := &task{parent: parent}
	t.ctx, t.cancel = context.WithCancel(parent)
	return t
}

func (t *task) run(s *session) {
	for job := range s.jobs {
		if s.ctx.Err() != nil {
			continue // shutting down: the parent counts these as not started
		}
		s.runJob(t.begin(job.GetId()), t, job)
		t.end()
	}
	t.cancel()
}

func (t *task) begin(id uint64) context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil && t.parent.Err() == nil {
		t.ctx, t.cancel = context.WithCancel(t.parent)
	}
	t.cur = id
	return t.ctx
}

func (t *task) end() {
	t.mu.Lock()
	t.cur = 0
	t.mu.Unlock()
	t.state.Store(stateIdle)
}

// cancelIf cancels the running job if it is job id.
func (t *task) cancelIf(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == id {
		t.cancel()
	}
}

// runJob parses the job's file once and runs each of its scanners on it,
// adding one result per scanner to the outbox.
func (s *session) runJob(ctx context.Context, t *task, job *pb.ParseJob) {
	which, err := s.pick(job.GetScanners())
	if err != nil {
		for _, name := range job.GetScanners() {
			s.out.add(errorResult(job.GetId(), name, err))
		}
		return
	}
	t.state.Store(stateParsing)
	f := &scan.File{Path: string(job.GetPath())}
	var parseErr *scan.Error
	var skip string
	if s.needContent(which) {
		parseErr, skip = parse(f, s.maxSize)
	}
	t.state.Store(stateScanning)
	for _, i := range which {
		b := s.scanners[i]
		var r *pb.Result
		switch {
		case parseErr != nil && b.def.Content:
			r = errorResult(job.GetId(), b.def.Name, parseErr)
		case skip != "" && b.def.Content:
			r = skipResult(job.GetId(), b.def.Name, skip)
		case f.Binary && !b.def.Binary:
			r = skipResult(job.GetId(), b.def.Name, "binary file")
		default:
			r = s.scanOne(ctx, job.GetId(), b, f)
		}
		if r == nil {
			return // cancelled by Shutdown: no record, the parent decides
		}
		s.out.add(r)
	}
	s.jobsDone.Add(1)
}

// pick returns the indexes of the named scanners; all of them for none.
func (s *session) pick(names []string) ([]int, error) {
	if len(names) == 0 {
		return s.all(), nil
	}
	idx := make([]int, 0, len(names))
	for _, n := range names {
		i, ok := s.byName[n]
		if !ok {
			return nil, scan.Errorf(scan.InvalidInput, "scanner %q is not configured in this run", n)
		}
		idx = append(idx, i)
	}
	return idx, nil
}

var allIndexes = []int{0, 1, 2, 3, 4, 5, 6, 7}

func (s *session) all() []int {
	if len(s.scanners) <= len(allIndexes) {
		return allIndexes[:len(s.scanners)]
	}
	idx := make([]int, len(s.scanners))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func (s *session) needContent(which []int) bool {
	for _, i := range which {
		if s.scanners[i].def.Content {
			return true
		}
	}
	return false
}

// scanOne runs one scanner, turning a panic into an error result. It returns
// nil when the work was cut short by Shutdown.
func (s *session) scanOne(ctx context.Context, id uint64, b bound, f *scan.File) (r *pb.Result) {
	defer func() {
		if v := recover(); v != nil {
			slog.Debug("scanner panicked", "scanner", b.def.Name, "path", f.Path, "panic", v, "stack", string(debug.Stack()))
			e := &scan.Error{Category: scan.ToolError, Message: fmt.Sprintf("scanner panicked: %v", v)}
			r = errorResult(id, b.def.Name, e)
		}
	}()
	rep, err := b.sc.Scan(ctx, f)
	if err != nil && s.ctx.Err() != nil {
		return nil
	}
	if reason, ok := scan.IsSkip(err); ok {
		return skipResult(id, b.def.Name, reason)
	}
	if err != nil {
		if ctx.Err() != nil && !isCategorized(err) {
			err = scan.Errorf(scan.Timeout, "job cancelled by the parent: %v", err)
		}
		return errorResult(id, b.def.Name, err)
	}
	return okResult(id, b.def.Name, rep)
}

func isCategorized(err error) bool {
	var e *scan.Error
	return errors.As(err, &e)
}

func okResult(id uint64, name string, rep scan.Report) *pb.Result {
	r := &pb.Result{JobId: id, Scanner: name, Status: pb.Status_STATUS_OK}
	if rep.Data != nil {
		data, err := json.Marshal(rep.Data)
		if err != nil {
			return errorResult(id, name, scan.Errorf(scan.ToolError, "encoding scanner data: %w", err))
		}
		r.Data = data
	}
	if len(rep.Findings) > 0 {
		r.Findings = make([]*pb.Finding, len(rep.Findings))
		for i, f := range rep.Findings {
			r.Findings[i] = &pb.Finding{
				Rule: valid(f.Rule), Message: valid(f.Message), Line: int32(f.Line), Column: int32(f.Column),
				Severity: valid(f.Severity), Match: valid(f.Match),
			}
		}
	}
	return r
}

func errorResult(id uint64, name string, err error) *pb.Result {
	e := scan.AsError(err)
	return &pb.Result{JobId: id, Scanner: name, Status: pb.Status_STATUS_ERROR, Error: &pb.Error{
		Category: pb.ErrorCategory(e.Category), Message: valid(e.Message), Retryable: e.Retryable,
	}}
}

func skipResult(id uint64, name, reason string) *pb.Result {
	return &pb.Result{JobId: id, Scanner: name, Status: pb.Status_STATUS_SKIPPED, SkipReason: valid(reason)}
}

// valid makes s safe for a protobuf string field, which must be UTF-8: a
// file name or file content in a message must never fail a whole batch.
func valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
