package engine

import (
	"fmt"
	"testing"
)

// A window dealt from the deck is an even cross-section of the jobs queued
// (the queue comes largest first), and the rest stay in queue order.
func TestDeckDealsACrossSection(t *testing.T) {
	tests := []struct {
		queued, n   int
		dealt, kept []int // indices of the queued jobs
		secondN     int
		secondDealt []int
	}{
		{queued: 6, n: 3, dealt: []int{0, 2, 4}, kept: []int{1, 3, 5}, secondN: 3, secondDealt: []int{1, 3, 5}},
		{queued: 7, n: 4, dealt: []int{0, 1, 3, 5}, kept: []int{2, 4, 6}, secondN: 4, secondDealt: []int{2, 4, 6}},
		{queued: 3, n: 8, dealt: []int{0, 1, 2}, kept: nil},
		{queued: 5, n: 1, dealt: []int{0}, kept: []int{1, 2, 3, 4}, secondN: 2, secondDealt: []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.n, tt.queued), func(t *testing.T) {
			r := &Run{queue: make(chan *job, 16)}
			jobs := make([]*job, tt.queued)
			for i := range jobs {
				jobs[i] = &job{path: fmt.Sprint(i)}
				r.queue <- jobs[i]
			}
			check := func(what string, got []*job, want []int) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: %d jobs, want %v", what, len(got), want)
				}
				for k, i := range want {
					if got[k] != jobs[i] {
						t.Fatalf("%s: job %d is %s, want %d", what, k, got[k].path, i)
					}
				}
			}
			got, ok := r.deal(nil, nil, tt.n)
			if !ok {
				t.Fatal("deal reported the end with jobs queued")
			}
			check("dealt", got, tt.dealt)
			check("kept", r.deck.jobs, tt.kept)
			if tt.secondN > 0 {
				got, _ = r.deal(nil, nil, tt.secondN)
				check("dealt second", got, tt.secondDealt)
			}
		})
	}
}

// A sender whose worker quits while the queue is empty gets nothing.
func TestDeckDealEndsWithItsWorker(t *testing.T) {
	r := &Run{queue: make(chan *job, 1)}
	quit := make(chan struct{})
	close(quit)
	if got, ok := r.deal(quit, nil, 4); ok || len(got) != 0 {
		t.Fatalf("deal after quit: %v, %v", got, ok)
	}
}
