package workerproc

import (
	"context"
	"errors"
	"math/bits"
	"sync"

	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/worker/scan"
)

// SkipHistory is the skip reason of a scanner that does not read a
// history's changes (scan.Def.History) on a job of one: it looks at
// files, and a commit is not one.
const SkipHistory = "not run on history: the scanner reads files, and a commit's changes are not one"

// mostPatch bounds the patch of one job of history held in memory. The
// parent splits a commit into parts far below it by the sizes of the
// files it writes (history.Split), and a patch is little more than the
// lines those files add: the bound is for what the listing cannot see.
const mostPatch = 512 << 20

// readers are a worker's history readers, one per repository, shared by
// its tasks: each keeps one git running for the worker's commits of that
// repository. One git per worker, not per task: the parent deals a worker
// runs of neighbouring commits, and one git reading them in turn finds
// most delta bases in its cache (four gits each reading every fourth
// commit of trufflehog's history spend 1.8 times the CPU of one reading
// them all); the reads of the tasks are pipelined, so git makes the next
// patch while a task scans the last.
type readers struct {
	mu sync.Mutex
	m  map[string]*history.Reader
}

// get returns the reader of the repository root, made at its first use.
func (rs *readers) get(root string, split history.Split) *history.Reader {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.m == nil {
		rs.m = map[string]*history.Reader{}
	}
	rd := rs.m[root]
	if rd == nil {
		rd = history.NewReader(root, mostPatch, split)
		rs.m[root] = rd
	}
	return rd
}

// close ends every reader's git, once no task reads.
func (rs *readers) close() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, rd := range rs.m {
		rd.Close()
	}
}

// runCommit is runJob for a job of a repository's history: the patch of
// its commit is read once, and each content scanner runs on each hunk's
// added lines, its findings gathered into the commit's record with their
// files. It reports whether the job finished: not cut short by Shutdown.
func (s *session) runCommit(ctx context.Context, t *task, job wire.Job) (finished bool) {
	set := s.validSet(job)
	t.state.Store(stateParsing)
	patch, perr := s.readPatch(ctx, job)
	if perr != nil && s.ctx.Err() != nil {
		return false // cut short by Shutdown: no record, the parent decides
	}
	t.state.Store(stateScanning)
	for i := range each(set) {
		var r wire.Result
		switch b := s.scanners[i]; {
		case perr != nil:
			r = errorResult(job.ID, i, perr)
		case !b.def.Content || !b.def.History:
			r = skipResult(job.ID, i, SkipHistory)
		default:
			var ok bool
			if r, ok = s.scanChanges(ctx, job, i, patch); !ok {
				return false
			}
		}
		s.out.add(r)
	}
	return true
}

// readPatch reads the job's patch with the worker's reader of its
// repository.
func (s *session) readPatch(ctx context.Context, job wire.Job) (history.Patch, *scan.Error) {
	j, err := history.ParseJob(job.Path)
	if err != nil {
		return history.Patch{}, scan.Errorf(scan.InvalidInput, "%v", err)
	}
	if _, rootErr := s.roots.dir(job.Root); rootErr != nil { // within the service's roots, a directory
		return history.Patch{}, rootErr
	}
	p, err := s.readers.get(job.Root, s.split).Read(ctx, j)
	switch {
	case err == nil:
		return p, nil
	case ctx.Err() != nil && s.ctx.Err() == nil:
		return p, &scan.Error{Category: scan.Timeout, Message: "the job's time limit passed and the parent cancelled it", Err: err}
	case errors.Is(err, history.ErrTooLarge):
		return p, &scan.Error{Category: scan.ResourceLimit, Message: err.Error(), Err: err}
	case errors.Is(err, history.ErrRevisions):
		return p, scan.Errorf(scan.InvalidInput, "%v", err)
	}
	return p, &scan.Error{Category: scan.ToolError, Message: err.Error(), Err: err, Retryable: false}
}

// scanChanges runs scanner i over each hunk of patch and gathers its
// findings, each with its file, into one result: an error on one hunk is
// the result's, with the findings made before and after it.
func (s *session) scanChanges(ctx context.Context, job wire.Job, i uint32, p history.Patch) (wire.Result, bool) {
	meta := commitOf(p.Meta, job.Path)
	commit := ""
	if meta != nil {
		commit = meta.ID
	}
	d := &pb.ResultDetail{Commit: ipc.CommitToWire(meta)}
	members := record.Members{}
	var failed *pb.Error
	for _, c := range p.Changes {
		if c.Binary {
			continue // gitleaks reads no binary file of a patch
		}
		f := scan.File{Root: job.Root, Path: c.Path, Data: c.Text, Size: int64(len(c.Text)), Change: true, Commit: commit, Line: c.Line}
		r, ok := s.scanOne(ctx, job.ID, i, &f)
		if !ok {
			return wire.Result{}, false
		}
		members.Read++
		members.Bytes += f.Size
		for _, fd := range r.Detail.GetFindings() {
			fd.File = []byte(c.Path)
			d.Findings = append(d.Findings, fd)
		}
		if r.Status == pb.Status_STATUS_ERROR && failed == nil {
			failed = r.Detail.GetError()
		}
	}
	for _, n := range p.Notes {
		members.Notes = append(members.Notes, record.MemberNote{Member: n.Path, Reason: n.Reason})
	}
	d.Members = ipc.MembersToWire(&members)
	r := wire.Result{JobID: job.ID, Scanner: i, Status: pb.Status_STATUS_OK, Detail: d}
	if failed != nil {
		r.Status, d.Error = pb.Status_STATUS_ERROR, failed
	}
	return r, true
}

// commitOf is the record's commit: the patch's, or when it showed none
// (a merge, a part of only files too large) the job's commit by name;
// nil for staged or uncommitted changes.
func commitOf(m *history.Meta, name string) *record.Commit {
	if m == nil {
		j, err := history.ParseJob(name)
		if err != nil || j.Commit == history.Staged || j.Commit == history.Uncommitted {
			return nil
		}
		return &record.Commit{ID: j.Commit}
	}
	return &record.Commit{ID: m.ID, Author: m.Author, Email: m.Email, Date: m.Date, Message: m.Subject}
}

// validSet is the job's scanners, each one it names beyond the run's
// answered at once with an error result.
func (s *session) validSet(job wire.Job) uint64 {
	set := s.setOf(job)
	if extra := set &^ s.all; extra != 0 {
		e := scan.Errorf(scan.InvalidInput, "job %d names scanner index %d, beyond the run's %d", job.ID, bits.TrailingZeros64(extra), len(s.scanners))
		for i := range each(extra) {
			s.out.add(errorResult(job.ID, i, e))
		}
	}
	return set & s.all
}
