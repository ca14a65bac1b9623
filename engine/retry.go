package engine

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"time"
)

// retries holds jobs waiting to run again, by when they are due: retries
// after their backoff, and jobs taken back from a lost worker at once. A
// feeder moves them to the run's queue when due.
type retries struct {
	mu   sync.Mutex
	due  dueHeap
	wake chan struct{} // a token when an earlier job was added
}

type dueJob struct {
	at time.Time
	jb *job
}

type dueHeap []dueJob

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueJob)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// requeue sends jb again after delay. The job stays pending meanwhile.
func (r *Run) requeue(jb *job, delay time.Duration) {
	jb.retry = 0
	q := &r.retries
	q.mu.Lock()
	heap.Push(&q.due, dueJob{at: time.Now().Add(delay), jb: jb})
	first := q.due[0].jb == jb
	q.mu.Unlock()
	if first {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// retryDelay is the backoff before attempt n+1 of a job that has had n:
// RetryDelay·BackoffBase^(n-1), times a random factor in [0.5, 1.5).
func (r *Run) retryDelay(n int) time.Duration {
	if r.cfg.RetryDelay == 0 {
		return 0
	}
	d := backoff(r.cfg.RetryDelay, r.cfg.BackoffBase, n, time.Hour)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// mayRetry reports whether a job that has had attempts attempts may have
// another.
func (r *Run) mayRetry(attempts int) bool { return attempts <= r.cfg.Retries }

// feedRetries moves due jobs to the queue until the run is drained or
// interrupted; jobs still waiting then are unfinished.
func (r *Run) feedRetries() {
	q := &r.retries
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		q.mu.Lock()
		var next *job
		wait := time.Hour
		if len(q.due) > 0 {
			if wait = time.Until(q.due[0].at); wait <= 0 {
				next = heap.Pop(&q.due).(dueJob).jb
			}
		}
		q.mu.Unlock()
		if next != nil {
			select {
			case r.queue <- next:
				continue
			case <-r.drained:
				return
			case <-r.ctx.Done():
				return
			}
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-q.wake:
		case <-r.drained:
			return
		case <-r.ctx.Done():
			return
		}
	}
}
