package workerproc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/worker/scan"
)

// batchMost is the most files scanner sc (of def) takes in one call: 1
// for a scanner that is not a BatchScanner, or says it takes one (see
// scan.BatchSizer).
func batchMost(def scan.Def, sc scan.Scanner) int {
	if _, ok := sc.(scan.BatchScanner); !ok {
		return 1
	}
	if bs, ok := sc.(scan.BatchSizer); ok {
		return min(def.Batch, bs.BatchMost())
	}
	return def.Batch
}

// next takes a task's next job and, in a session with batch scanners, the
// group it heads (see group); ok is false once the jobs have ended. One
// task forms its group at a time, so that a task never takes a job from
// the middle of another's group.
func (s *session) next() (job wire.Job, g []wire.Job, ok bool) {
	if s.batch == 0 {
		job, ok = <-s.jobs
		return job, nil, ok
	}
	s.forming.Lock()
	defer s.forming.Unlock()
	if job, ok = <-s.jobs; !ok || s.ctx.Err() != nil || s.setOf(job)&s.batch == 0 {
		return job, nil, ok
	}
	return job, s.group(job), true
}

// group returns first, a batch scanner's job, and the jobs queued behind
// it that this task takes along: those here now (a batch never waits for
// company, so a lone file is never held back), at most the largest batch
// the batch scanners take, and of those:
//   - all, when the batch scanners are the only work of first: every call
//     of a tool pays its start-up again, and one call per worker is one
//     per core (as pre-commit runs one batch per CPU);
//   - else a share, ceil(queued / idle tasks), so that the worker's idle
//     tasks split the files' other scanners between them. (Dividing by
//     every task, busy ones too, would leave each later task half of
//     what the one before it left.)
func (s *session) group(first wire.Job) []wire.Job {
	s.arriving.Lock() // the rest of first's message, if it is on its way
	s.arriving.Unlock()
	share := len(s.jobs) + 1
	if s.setOf(first)&^s.batch != 0 {
		idle := max(s.idleTasks(), 1)
		share = (share + idle - 1) / idle
	}
	share = min(s.batchMost, share)
	g := []wire.Job{first}
	for len(g) < share {
		select {
		case j, ok := <-s.jobs:
			if !ok {
				return g
			}
			g = append(g, j)
		default:
			return g
		}
	}
	return g
}

// runGroup runs a group of jobs: each job's file on its own, with every
// scanner but the batch ones (as a lone job runs), then each batch scanner
// once over the group's files that are to get it. The task's board entry
// and cancel name the job it works on: in a batch call, the first of it.
func (s *session) runGroup(t *task, g []wire.Job) {
	start := time.Now()
	files := make([]scan.File, len(g))
	sums := make([][]byte, len(g)) // each file's SHA-256, for the batch scanners that hash (scan.Def.Hash)
	for k, job := range g {
		s.board.Begin(t.index, job.ID)
		finished, sum := s.runJob(t.begin(job.ID), t, job, &files[k], s.batch)
		sums[k] = sum
		s.board.End(t.index)
		t.end()
		if !finished {
			return
		}
		files[k].Data = nil // the task's buffer: the next file is read into it
	}
	for i := range each(s.batch) {
		var ids []uint64
		var batch []*scan.File
		var batchSums [][]byte
		for k, job := range g {
			switch {
			case s.setOf(job)&(1<<i) == 0:
			case job.Root != "" && files[k].Dir == nil: // its root could not be opened
				_, e := s.roots.dir(job.Root)
				if e == nil {
					e = scan.Errorf(scan.InvalidInput, "its root %s could not be opened", job.Root)
				}
				s.out.add(errorResult(job.ID, i, e))
			case files[k].Binary && !s.scanners[i].def.Binary: // as runJob skips it
				s.out.add(skipResult(job.ID, i, "binary file"))
			default:
				ids, batch, batchSums = append(ids, job.ID), append(batch, &files[k]), append(batchSums, sums[k])
			}
		}
		if !s.runBatch(t, i, ids, batch, batchSums) {
			return
		}
	}
	each := time.Since(start) / time.Duration(len(g))
	for range g {
		s.done.add(each)
	}
}

// runBatch runs batch scanner i once over files (of jobs ids), or Scan
// for a lone file, adding a result per file, with the file's SHA-256 of
// sums if the scanner hashes (scan.Def.Hash). It reports false when
// Shutdown cut it short.
func (s *session) runBatch(t *task, i uint32, ids []uint64, files []*scan.File, sums [][]byte) bool {
	if len(files) == 0 {
		return true
	}
	s.board.Begin(t.index, ids[0])
	defer s.board.End(t.index)
	defer t.end()
	ctx := t.begin(ids[0])
	t.state.Store(stateScanning)
	hash := s.scanners[i].def.Hash
	if len(files) == 1 {
		r, ok := s.scanOne(ctx, ids[0], i, files[0])
		if ok && hash && sums[0] != nil {
			r = withSHA256(r, sums[0])
		}
		if ok {
			s.out.add(r)
		}
		return ok
	}
	results, ok := s.scanBatch(ctx, i, ids, files)
	for k, r := range results {
		if hash && sums[k] != nil {
			r = withSHA256(r, sums[k])
		}
		s.out.add(r)
	}
	return ok
}

// scanBatch calls ScanBatch, turning a panic, or outcomes that do not
// match the files one for one, into an error result for each file.
func (s *session) scanBatch(ctx context.Context, i uint32, ids []uint64, files []*scan.File) (out []wire.Result, ok bool) {
	b := s.scanners[i]
	failAll := func(e *scan.Error) []wire.Result {
		out := make([]wire.Result, len(ids))
		for k, id := range ids {
			out[k] = errorResult(id, i, e)
		}
		return out
	}
	defer func() {
		if v := recover(); v != nil {
			slog.Debug("batch scanner panicked", "scanner", b.def.Name, "files", len(files), "panic", v, "stack", string(debug.Stack()))
			out, ok = failAll(&scan.Error{Category: scan.ToolError, Message: fmt.Sprintf("scanner panicked: %v", v)}), true
		}
	}()
	outcomes := b.sc.(scan.BatchScanner).ScanBatch(ctx, files)
	if s.ctx.Err() != nil {
		return nil, false
	}
	if len(outcomes) != len(files) {
		return failAll(scan.Errorf(scan.ToolError, "scanner %q returned %d outcomes for a batch of %d files", b.def.Name, len(outcomes), len(files))), true
	}
	out = make([]wire.Result, len(ids))
	for k, id := range ids {
		out[k] = resultOf(ctx, id, i, outcomes[k].Report, outcomes[k].Err)
	}
	return out, true
}

// idleTasks counts the tasks waiting for a job, the caller among them.
func (s *session) idleTasks() int {
	n := 0
	for _, t := range s.tasks {
		if t.state.Load() == stateIdle {
			n++
		}
	}
	return n
}

// deal reorders jobs so that n tasks each taking the next consecutive
// share of them (as group does) get every n-th job: the parent sends jobs
// largest file first, so consecutive shares would give the first task the
// biggest files and the last the smallest, and the slowest batch would set
// the pace.
func deal(jobs []wire.Job, n int) []wire.Job {
	if n < 2 || len(jobs) <= n {
		return jobs
	}
	out := make([]wire.Job, 0, len(jobs))
	for first := range n {
		for k := first; k < len(jobs); k += n {
			out = append(out, jobs[k])
		}
	}
	return out
}
