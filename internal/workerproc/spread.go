package workerproc

import (
	"bytes"
	"context"
	"runtime"
	"sync"

	"github.com/forkscan/forkscan/unpack"
	"github.com/forkscan/forkscan/worker/scan"
)

// spreadOver is the size of an archive whose members are scanned on
// every core: one job holds the archive, and without this a tree that is
// one big tarball would run on one core while the others idle. A smaller
// archive's members are scanned on its task's own goroutine.
const spreadOver = 4 << 20

// spread scans the members of one archive as the walk hands them over:
// on the walk's goroutine, or, for a large archive, on GOMAXPROCS
// goroutines that scan while the walk reads the next member (at most one
// member waits for them, so memory holds GOMAXPROCS+1 members).
type spread struct {
	ctx      context.Context
	out      map[uint32]*unpacked
	scanners []bound
	file     scan.File // the archive's, copied for each member
	seq      int
	work     chan numbered // nil: no goroutines
	wg       sync.WaitGroup
}

// numbered is the seq-th member of its archive.
type numbered struct {
	seq int
	unpack.Member
}

func newSpread(ctx context.Context, out map[uint32]*unpacked, scanners []bound, file scan.File, wide bool) *spread {
	p := &spread{ctx: ctx, out: out, scanners: scanners, file: file}
	if !wide {
		return p
	}
	p.work = make(chan numbered)
	for range runtime.GOMAXPROCS(0) {
		p.wg.Go(func() {
			for m := range p.work {
				p.one(m)
			}
		})
	}
	return p
}

// scan scans the next member, here or on the pool.
func (p *spread) scan(u unpack.Member) {
	p.seq++
	if p.work == nil {
		p.one(numbered{p.seq, u})
		return
	}
	p.work <- numbered{p.seq, u}
}

// wait waits for the members handed over to be scanned.
func (p *spread) wait() {
	if p.work != nil {
		close(p.work)
		p.wg.Wait()
	}
}

func (p *spread) one(u numbered) {
	m := p.file
	m.Member, m.Data, m.Size = u.Path, u.Data, int64(len(u.Data))
	m.Binary = bytes.IndexByte(u.Data[:min(len(u.Data), binarySniff)], 0) >= 0
	for i, a := range p.out {
		a.scanMember(p.ctx, p.scanners[i], &m, u.seq)
	}
}
