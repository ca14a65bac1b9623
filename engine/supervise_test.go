package engine

import (
	"testing"
	"time"
)

// TestRespawnBackoff pins the schedule that paces the replacements of
// workers that fail (README: "10 ms doubling up to 1 s"): none before the
// first failure, then 10ms, doubling with each failure in a row, never
// above 1s. TestReplacementsArePaced checks that a run keeps to it.
func TestRespawnBackoff(t *testing.T) {
	ms := time.Millisecond
	want := []time.Duration{0, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second, time.Second}
	for failures, w := range want {
		if got := backoff(respawnDelay, 2, failures, maxRespawnDelay); got != w {
			t.Errorf("after %d failures in a row: %v, want %v", failures, got, w)
		}
	}
	if got := backoff(respawnDelay, 2, 1000, maxRespawnDelay); got != time.Second {
		t.Errorf("after 1000 failures in a row: %v, want 1s", got)
	}
}
