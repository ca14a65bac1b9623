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
const spreadOver = 1 << 20

// spread scans the members of one archive as the walk hands them over:
// on the walk's goroutine, or, for a large archive, on one goroutine per
// CPU that scan while the walk reads the next member (at most one member
// waits for them, so memory holds a member per CPU, and one more). A
// worker runs with its share of the CPUs (engine.Config.WorkerProcs):
// while it holds a large archive it takes them all (widen), so that the
// cores other workers leave idle work on it.
type spread struct {
	ctx      context.Context
	out      map[uint32]*unpacked
	scanners []bound
	file     scan.File // the archive's, copied for each member
	seq      int
	work     chan numbered // nil: no goroutines
	wg       sync.WaitGroup
	narrow   func()
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
	p.narrow = widen()
	for range runtime.NumCPU() {
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
		p.narrow()
	}
}

// wide counts the large archives a worker holds, and keeps the
// GOMAXPROCS it had before the first.
var wide struct {
	sync.Mutex
	n, procs int
}

// widen lets the worker run on every CPU until the function it returns
// is called, and every other widen's.
func widen() (narrow func()) {
	wide.Lock()
	defer wide.Unlock()
	if wide.n == 0 {
		wide.procs = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(max(wide.procs, runtime.NumCPU()))
	}
	wide.n++
	return func() {
		wide.Lock()
		defer wide.Unlock()
		if wide.n--; wide.n == 0 {
			runtime.GOMAXPROCS(wide.procs)
		}
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
