package workerproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
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
	index  int // on the board
	parent context.Context
	state  atomic.Int32

	buf     []byte    // the file read for the running job, reused for the next
	hashBuf []byte    // for hashing a file no scanner of its job reads (hashFile)
	file    scan.File // the running job's file, reused for the next (scanners keep neither)

	mu     sync.Mutex
	cur    uint64 // job id running now, 0 when idle
	ctx    context.Context
	cancel context.CancelFunc
}

func newTask(index int, parent context.Context) *task {
	t := &task{index: index, parent: parent}
	t.ctx, t.cancel = context.WithCancel(parent)
	return t
}

func (t *task) run(s *session) {
	for {
		job, g, ok := s.next()
		if !ok {
			break
		}
		if s.ctx.Err() != nil {
			continue // shutting down: the parent counts these as not started
		}
		if len(g) > 1 {
			s.runGroup(t, g)
			continue
		}
		start := s.board.Begin(t.index, job.ID)
		finished, _ := s.runJob(t.begin(job.ID), t, job, &t.file, 0)
		s.board.End(t.index)
		if finished {
			s.done.add(time.Since(start))
		}
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

// setOf is the bit set of the scanners job is to run.
func (s *session) setOf(job wire.Job) uint64 {
	if job.Scanners == 0 {
		return s.all
	}
	return job.Scanners
}

// runJob parses the job's file once, into f, and runs each of its
// scanners but those of later (a group's batch scanners) on it, adding one
// result per scanner to the outbox. It reports whether the job finished:
// not cut short by Shutdown; and the SHA-256 of the file's content, if it
// was read or hashed (for a scanner of later too: see scan.Def.Hash).
func (s *session) runJob(ctx context.Context, t *task, job wire.Job, f *scan.File, later uint64) (finished bool, sum []byte) {
	if s.history {
		return s.runCommit(ctx, t, job), nil
	}
	all := s.validSet(job)
	set := all &^ later
	t.state.Store(stateParsing)
	*f = scan.File{Root: job.Root, Path: job.Path}
	var rootErr, parseErr *scan.Error
	if job.Root != "" {
		f.Dir, rootErr = s.roots.dir(job.Root)
	}
	var skip string
	// sum is the content's SHA-256, when it was read (the results' own
	// copy, as f is reused), or hashed for a scanner that hands the file on.
	read := s.needContent(set) && rootErr == nil
	if read {
		parseErr, skip = parse(f, s.maxSize, &t.buf)
		if parseErr == nil && skip == "" {
			sum = append([]byte(nil), f.SHA256[:]...)
		}
	}
	if !read && rootErr == nil && s.needHash(all, f) {
		sum = t.hashFile(ctx, f, s.maxSize)
	}
	t.state.Store(stateScanning)
	var archive map[uint32]*unpacked
	if parseErr == nil && skip == "" && rootErr == nil && s.unpacks(f) {
		var ok bool
		if archive, ok = s.unpack(ctx, f, set); !ok {
			return false, nil
		}
	}
	for i := range each(set) {
		b := s.scanners[i]
		var r wire.Result
		switch {
		case rootErr != nil: // its root cannot be opened: no scanner may look
			r = errorResult(job.ID, i, rootErr)
		case parseErr != nil && b.def.Content:
			r = errorResult(job.ID, i, parseErr)
		case skip != "" && b.def.Content:
			r = skipResult(job.ID, i, skip)
		case f.Binary && !b.def.Binary:
			r = skipResult(job.ID, i, "binary file")
		default:
			var ok bool
			if r, ok = s.scanOne(ctx, job.ID, i, f); !ok {
				return false, nil // cancelled by Shutdown: no record, the parent decides
			}
		}
		if a := archive[i]; a != nil {
			r = a.merge(r)
		}
		if sum != nil && (b.def.Content || b.def.Hash) {
			r = withSHA256(r, sum)
		}
		s.out.add(r)
	}
	return true, sum
}

// each yields the indexes of the bits set in set, lowest first.
func each(set uint64) func(func(uint32) bool) {
	return func(yield func(uint32) bool) {
		for ; set != 0; set &= set - 1 {
			if !yield(uint32(bits.TrailingZeros64(set))) {
				return
			}
		}
	}
}

func (s *session) needContent(set uint64) bool {
	for i := range each(set) {
		if s.scanners[i].def.Content {
			return true
		}
	}
	return false
}

// scanOne runs scanner i, turning a panic into an error result. It returns
// false when the work was cut short by Shutdown.
func (s *session) scanOne(ctx context.Context, id uint64, i uint32, f *scan.File) (r wire.Result, ok bool) {
	b := s.scanners[i]
	defer func() {
		if v := recover(); v != nil {
			slog.Debug("scanner panicked", "scanner", b.def.Name, "file", f.Name(), "panic", v, "stack", string(debug.Stack()))
			e := &scan.Error{Category: scan.ToolError, Message: fmt.Sprintf("scanner panicked: %v", v)}
			r, ok = errorResult(id, i, e), true
		}
	}()
	rep, err := b.sc.Scan(ctx, f)
	if err != nil && s.ctx.Err() != nil {
		return wire.Result{}, false
	}
	return resultOf(ctx, id, i, rep, err), true
}

// resultOf is the result of scanner i on job id from what the scanner
// returned.
func resultOf(ctx context.Context, id uint64, i uint32, rep scan.Report, err error) wire.Result {
	if reason, skipped := scan.IsSkip(err); skipped {
		return skipResult(id, i, reason)
	}
	if err != nil {
		if ctx.Err() != nil && !isCategorized(err) {
			// The parent cancels a job only when its time limit passed; the
			// same file would take as long again, so it is not retried.
			err = &scan.Error{Category: scan.Timeout, Message: "the job's time limit passed and the parent cancelled it", Err: err}
		}
		return errorResult(id, i, err)
	}
	return okResult(id, i, rep)
}

func isCategorized(err error) bool {
	var e *scan.Error
	return errors.As(err, &e)
}

func okResult(id uint64, i uint32, rep scan.Report) wire.Result {
	r := wire.Result{JobID: id, Scanner: i, Status: pb.Status_STATUS_OK}
	if rep.Data == nil && len(rep.Findings) == 0 {
		return r
	}
	d := &pb.ResultDetail{}
	if rep.Data != nil {
		data, err := json.Marshal(rep.Data)
		if err != nil {
			return errorResult(id, i, scan.Errorf(scan.ToolError, "encoding scanner data: %w", err))
		}
		d.Data = data
	}
	d.Findings = ipc.FindingsToWire(rep.Findings)
	r.Detail = d
	return r
}

// withSHA256 records which content r is about.
func withSHA256(r wire.Result, sum []byte) wire.Result {
	if r.Detail == nil {
		r.Detail = &pb.ResultDetail{}
	}
	r.Detail.Sha256 = sum
	return r
}

func errorResult(id uint64, i uint32, err error) wire.Result {
	detail := &pb.ResultDetail{Error: ipc.ErrorToWire(scan.AsError(err))}
	return wire.Result{JobID: id, Scanner: i, Status: pb.Status_STATUS_ERROR, Detail: detail}
}

func skipResult(id uint64, i uint32, reason string) wire.Result {
	return wire.Result{JobID: id, Scanner: i, Status: pb.Status_STATUS_SKIPPED, Detail: &pb.ResultDetail{SkipReason: ipc.ValidUTF8(reason)}}
}
