package engine

import (
	"sync"

	"github.com/forkscan/forkscan/ipc"
)

// deck holds the queued jobs of a batch run between the queue and the
// senders, so that a worker's window is dealt from all of them, not cut
// from their head. The queue comes largest file first: a window of the
// first n jobs would give the first worker the biggest files and the last
// the smallest, and the batch of biggest files would set the pace of the
// run. A window dealt as an even cross-section of the deck (every m/n-th
// job) holds big and small files in the same measure as the rest, as
// cards dealt round a table do; the worker then deals its window over its
// tasks the same way.
type deck struct {
	mu   sync.Mutex
	jobs []*job // in queue order
}

// deal returns up to n jobs, an even cross-section of the jobs queued now,
// waiting for one if none is. It reports false when done closed first.
func (r *Run) deal(done <-chan struct{}, buf []*job, n int) ([]*job, bool) {
	d := &r.deck
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.jobs) == 0 {
		d.mu.Unlock() // another sender may deal meanwhile
		first, ok := ipc.Gather(done, r.queue, nil, 1)
		d.mu.Lock()
		if !ok {
			return buf, false
		}
		d.jobs = append(d.jobs, first...)
	}
	d.jobs = drain(r.queue, d.jobs, cap(r.queue))
	m := len(d.jobs)
	n = min(n, m)
	rest := d.jobs[:0]
	next := 0 // the index of the next job dealt: k*m/n for the k-th
	for i, jb := range d.jobs {
		if next < n && i == next*m/n {
			buf = append(buf, jb)
			next++
			continue
		}
		rest = append(rest, jb)
	}
	clear(d.jobs[len(rest):])
	d.jobs = rest
	if r.failed.Load() { // failRest has taken the deck: it fails what it gets from the queue
		for _, jb := range d.jobs {
			r.requeue(jb, 0)
		}
		d.jobs = nil
	}
	return buf, true
}

// drain appends to jobs what the queue holds now, without waiting, until
// jobs holds most (the producer goes on filling the queue meanwhile: the
// deck is bounded as the queue is).
func drain(queue <-chan *job, jobs []*job, most int) []*job {
	for len(jobs) < most {
		select {
		case jb := <-queue:
			jobs = append(jobs, jb)
		default:
			return jobs
		}
	}
	return jobs
}

// takeAll empties the deck. Run.failed is set first: from then on deal
// leaves nothing in the deck.
func (d *deck) takeAll() []*job {
	d.mu.Lock()
	defer d.mu.Unlock()
	all := d.jobs
	d.jobs = nil
	return all
}
