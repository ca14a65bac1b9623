package workerproc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/unpack"
	"github.com/forkscan/forkscan/worker/scan"
)

// unpacked is what one content scanner made of an archive's members.
type unpacked struct {
	mu      sync.Mutex
	found   []seqFinding
	members record.Members
	err     *scan.Error // the archive's own: over a limit, unreadable, timed out
}

// unpacks reports whether the session reads the members of f: archives
// are on and the file's name is an archive's or a compressed file's.
func (s *session) unpacks(f *scan.File) bool {
	return s.archives.MaxDepth > 0 && unpack.Is(f.Path)
}

// unpack runs the content scanners of set over each member of f, an
// archive or a compressed file, and returns what each made of them. It
// returns false when Shutdown cut it short.
func (s *session) unpack(ctx context.Context, f *scan.File, set uint64) (map[uint32]*unpacked, bool) {
	out := map[uint32]*unpacked{}
	for i := range each(set) {
		if s.scanners[i].def.Content {
			out[i] = &unpacked{}
		}
	}
	if len(out) == 0 {
		return nil, true
	}
	p := newSpread(ctx, out, s.scanners, scan.File{Root: f.Root, Path: f.Path, Dir: f.Dir, Unpacked: true}, len(f.Data) >= spreadOver)
	sum, err := unpack.Walk(ctx, f.Path, f.Data, s.archives, func(u unpack.Member) error {
		p.scan(u)
		return ctx.Err()
	})
	p.wait()
	if err != nil && s.ctx.Err() != nil {
		return nil, false
	}
	archiveErr := archiveError(ctx, err)
	for _, a := range out {
		a.members.Read, a.members.Bytes = sum.Members, sum.Bytes
		a.members.Dropped += sum.Dropped
		for _, n := range sum.Notes {
			a.note(n.Member, n.Reason)
		}
		if errors.Is(err, unpack.ErrFormat) { // what it holds up to there was read: a note, as for a member
			a.note("", err.Error())
			continue
		}
		a.err = archiveErr
	}
	return out, true
}

// archiveError is the category of what ended the reading of an archive.
func archiveError(ctx context.Context, err error) *scan.Error {
	var limit *unpack.LimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &limit):
		return &scan.Error{Category: scan.ResourceLimit, Message: limit.Error(), Err: err} // the same archive would overrun it again: not retryable
	case ctx.Err() != nil:
		return &scan.Error{Category: scan.Timeout, Message: "the job's time limit passed while its archive was read", Err: err}
	}
	return scan.AsError(err)
}

// scanMember runs b over one member, the seq-th, keeping its findings,
// each marked with the member, and noting its failure. Members of one
// archive may be scanned side by side.
func (a *unpacked) scanMember(ctx context.Context, b bound, m *scan.File, seq int) {
	if m.Binary && !b.def.Binary {
		return
	}
	rep, err := scanSafely(ctx, b, m)
	if _, skipped := scan.IsSkip(err); skipped {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.note(m.Member, b.def.Name+": "+err.Error())
		return
	}
	for _, g := range rep.Findings {
		if m.Member != "" {
			g.Member = m.Member
		}
		a.found = append(a.found, seqFinding{seq, g})
	}
}

// seqFinding is a finding of the seq-th member: findings are put back in
// the members' order, however the scans interleaved.
type seqFinding struct {
	seq int
	scan.Finding
}

// findings are the members' findings, in the members' order.
func (a *unpacked) findings() []scan.Finding {
	slices.SortStableFunc(a.found, func(x, y seqFinding) int { return cmp.Compare(x.seq, y.seq) })
	out := make([]scan.Finding, len(a.found))
	for i, f := range a.found {
		out[i] = f.Finding
	}
	return out
}

func scanSafely(ctx context.Context, b bound, m *scan.File) (rep scan.Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			slog.Debug("scanner panicked on a member", "scanner", b.def.Name, "file", m.Name(), "member", m.Member, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("scanner panicked: %v", v)
		}
	}()
	return b.sc.Scan(ctx, m)
}

func (a *unpacked) note(member, reason string) {
	if len(a.members.Notes) == 100 {
		a.members.Dropped++
		return
	}
	a.members.Notes = append(a.members.Notes, record.MemberNote{Member: member, Reason: reason})
}

// merge joins the scanner's result on the archive file itself with what
// it made of the members: their findings after the file's own, the
// members' count and notes; a file skipped as an archive is then OK, and
// an archive that ended early is an error that keeps what was found.
func (a *unpacked) merge(r wire.Result) wire.Result {
	if r.Detail == nil {
		r.Detail = &pb.ResultDetail{}
	}
	d := r.Detail
	switch {
	case a.err != nil:
		r.Status = pb.Status_STATUS_ERROR
		d.Error, d.SkipReason = ipc.ErrorToWire(a.err), ""
	case r.Status == pb.Status_STATUS_SKIPPED:
		r.Status, d.SkipReason = pb.Status_STATUS_OK, ""
	}
	d.Findings = append(d.Findings, ipc.FindingsToWire(a.findings())...)
	d.Members = ipc.MembersToWire(&a.members)
	return r
}
