package testwait

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want float64
	}{{"", 1}, {"x", 1}, {"0.5", 1}, {"1", 1}, {"4", 4}, {"2.5", 2.5}} {
		t.Setenv(ScaleVar, tc.env)
		if got := Scale(); got != tc.want {
			t.Errorf("%s=%q: Scale() = %g, want %g", ScaleVar, tc.env, got, tc.want)
		}
	}
	t.Setenv(ScaleVar, "3")
	if got := Bound(time.Second); got != 3*time.Second {
		t.Errorf("Bound(1s) at scale 3 = %v", got)
	}
}

func TestForAndChan(t *testing.T) {
	n := 0
	For(t, time.Second, "three polls", func() bool { n++; return n == 3 })
	ch := make(chan int, 1)
	ch <- 7
	if v := Chan(t, time.Second, "a value", ch); v != 7 {
		t.Errorf("Chan = %d, want 7", v)
	}
}
