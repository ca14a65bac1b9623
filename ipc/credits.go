package ipc

import "sync"

// Credits is a worker's window of jobs: the parent takes a credit for each
// job it sends and a result gives it back. It is a counting semaphore whose
// Take grabs as many as are free at once, so that a batch is sized by what
// the worker can accept right now.
//
// Credits are what keep forkscan's memory flat: a worker never holds more
// than its window, so a dead worker's jobs are known exactly and nothing
// between the producer and the workers is an unbounded queue.
//
// The zero value is not usable: it has no way to wake a waiting Take, so
// a Take that waits, waits for ever, whatever comes back. Make one with
// NewCredits.
type Credits struct {
	mu   sync.Mutex
	size int
	free int           // may be below zero after Resize shrank the window
	wake chan struct{} // holds a token while free may be > 0 for a waiter
}

// NewCredits returns a window of n credits, all free.
func NewCredits(n int) *Credits {
	c := &Credits{size: n, free: n, wake: make(chan struct{}, 1)}
	if n > 0 {
		c.wake <- struct{}{}
	}
	return c
}

// Resize makes the window n credits. Credits taken stay taken: a smaller
// window lets Take have more only once enough have come back.
func (c *Credits) Resize(n int) {
	c.mu.Lock()
	grew := n > c.size
	c.free += n - c.size
	c.size = n
	c.mu.Unlock()
	if grew {
		c.signal()
	}
}

func (c *Credits) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Take waits until at least one credit is free, then takes up to max of
// them and returns how many it took. It returns 0 if done is closed first.
// Take is meant for one caller at a time (a worker's sender).
func (c *Credits) Take(done <-chan struct{}, max int) int {
	for {
		c.mu.Lock()
		if n := min(c.free, max); n > 0 {
			c.free -= n
			c.mu.Unlock()
			return n
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-done:
			return 0
		}
	}
}

// Return gives n credits back.
func (c *Credits) Return(n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	c.free += n
	c.mu.Unlock()
	c.signal()
}

// Free reports how many credits are free now.
func (c *Credits) Free() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.free
}
