package tree

import (
	"container/heap"
	"iter"
	"math"
	"sync"
)

// QueueSize is how many entries LargestFirst holds at most: how far the
// walk may run ahead of the caller. Memory stays bounded however big the
// tree.
const QueueSize = 1 << 16

// LargestFirst runs walk in a goroutine of its own and yields what it
// finds, the largest file known at each moment first, and an entry with
// Err or Skip before any file (it needs no work, only a record). A sort of
// the whole tree would have to wait for the end of the walk and hold every
// path; this starts at once, holds at most QueueSize entries, and still
// puts the big files of the tree at the head of a run, so that its tail is
// many small files spread over every worker, not one huge file on one
// core. (When the walk outruns the run, which is usual, the order is close
// to a full sort.) Ending the returned sequence early stops the walk; it
// returns when the walk has.
func LargestFirst(walk iter.Seq[Entry]) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		q := newSizeQueue()
		walked := make(chan struct{})
		go func() {
			defer close(walked)
			walk(q.offer)
			q.end()
		}()
		defer func() {
			q.stop()
			<-walked
		}()
		for {
			j, ok := q.take()
			if !ok || !yield(j) {
				return
			}
		}
	}
}

// sizeQueue is a bounded max-heap of entries by file size, between the
// walk and the run.
type sizeQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   sizeHeap
	done    bool // the walk has ended
	stopped bool // the run wants no more
}

func newSizeQueue() *sizeQueue {
	q := &sizeQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// end says the walk is over.
func (q *sizeQueue) end() {
	q.mu.Lock()
	q.done = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// offer adds an entry, waiting while the queue is full; false once the
// run wants no more.
func (q *sizeQueue) offer(e Entry) bool {
	size := e.Size
	if e.Err != nil || e.Skip != "" {
		size = math.MaxInt64
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) >= QueueSize && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped {
		return false
	}
	heap.Push(&q.items, sized{e, size})
	q.cond.Broadcast()
	return true
}

// take removes the largest entry, waiting for the walk if there is none yet;
// false when the walk has ended and the queue is empty.
func (q *sizeQueue) take() (Entry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.done {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return Entry{}, false
	}
	it := heap.Pop(&q.items).(sized)
	q.cond.Broadcast()
	return it.entry, true
}

func (q *sizeQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

type sized struct {
	entry Entry
	size  int64
}

// sizeHeap is a max-heap by size (container/heap's interface).
type sizeHeap []sized

func (h sizeHeap) Len() int           { return len(h) }
func (h sizeHeap) Less(i, j int) bool { return h[i].size > h[j].size }
func (h sizeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sizeHeap) Push(x any)        { *h = append(*h, x.(sized)) }
func (h *sizeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = sized{}
	*h = old[:len(old)-1]
	return it
}
