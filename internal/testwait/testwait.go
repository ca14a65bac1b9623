// Package testwait gives tests one way to wait for an event with a bound
// that only catches a hang: the bound is generous, scaled by an environment
// factor a slow or busy machine can raise, and a failure says what was being
// waited for.
//
// It is what a test's `timeout` would be if the test could not know how fast
// its machine is: a test asserts states and events, never how long they
// took; testwait bounds only how long it waits for them. Where
// require.Eventually takes a bare duration, Bound scales it by
// FORKSCAN_TEST_TIME_SCALE (a number ≥ 1, e.g. 4 on a loaded CI machine).
package testwait

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// ScaleVar is the environment variable that multiplies every bound.
const ScaleVar = "FORKSCAN_TEST_TIME_SCALE"

// Scale is the factor every bound is multiplied by: FORKSCAN_TEST_TIME_SCALE
// if it holds a number ≥ 1, else 1.
func Scale() float64 {
	f, err := strconv.ParseFloat(os.Getenv(ScaleVar), 64)
	if err != nil || f < 1 {
		return 1
	}
	return f
}

// Bound scales d by Scale: the bound of a wait whose expiry means a hang.
func Bound(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Scale())
}

// For polls cond every tick until it holds, and fails the test (from the
// test's own goroutine: call it only there) when Bound(d) passes first,
// naming what was awaited.
func For(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Bound(d))
	tick := 10 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v (%s=%g) for %s; it never happened", Bound(d), ScaleVar, Scale(), what)
		}
		time.Sleep(tick)
		if tick < 100*time.Millisecond {
			tick *= 2
		}
	}
}

// Chan waits for ch to yield, or fails the test after Bound(d) naming what
// was awaited; it returns the value received.
func Chan[T any](t testing.TB, d time.Duration, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(Bound(d))
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("waited %v (%s=%g) for %s; it never happened", Bound(d), ScaleVar, Scale(), what)
	}
	var zero T
	return zero
}
