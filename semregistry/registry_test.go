package semregistry_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/semregistry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newRegistry(t *testing.T, cfg semregistry.Config) *semregistry.Registry {
	t.Helper()
	r, err := semregistry.New(cfg)
	require.NoError(t, err)
	return r
}

func TestBadRequests(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 3}})
	cases := []struct {
		name     string
		sem      string
		weight   int64
		capacity int64
		want     error
	}{
		{"empty name", "", 1, 0, semregistry.ErrEmptyName},
		{"zero weight", "db", 0, 0, semregistry.ErrWeight},
		{"negative weight", "db", -2, 0, semregistry.ErrWeight},
		{"weight above capacity", "db", 4, 0, semregistry.ErrWeight},
		{"new name without capacity", "api", 1, 0, semregistry.ErrCapacity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, r.Acquire(ctx, 1, c.sem, c.weight, c.capacity), c.want)
		})
	}
	require.ErrorIs(t, r.Release(1, "db", 1), semregistry.ErrOverRelease)
	require.ErrorIs(t, r.Release(1, "db", 0), semregistry.ErrWeight)

	_, err := semregistry.New(semregistry.Config{Capacities: map[string]int64{"x": 0}})
	require.ErrorIs(t, err, semregistry.ErrCapacity)
}

func TestCapacityRules(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}})
	require.NoError(t, r.Acquire(ctx, 1, "db", 1, 5), "a configured capacity wins over the request's")
	require.NoError(t, r.Acquire(ctx, 1, "api", 1, 4), "the first request sets an unconfigured capacity")
	require.ErrorIs(t, r.Acquire(ctx, 1, "api", 1, 3), semregistry.ErrCapacity)
	require.NoError(t, r.Acquire(ctx, 1, "api", 1, 0), "0 takes the established capacity")

	strict := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}, DeclaredOnly: true})
	require.ErrorIs(t, strict.Acquire(ctx, 1, "api", 1, 4), semregistry.ErrUndeclared)
}

func TestNeverMoreThanCapacity(t *testing.T) {
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 3}})
	var now, peak atomic.Int64
	var wg sync.WaitGroup
	for h := range 8 {
		wg.Go(func() {
			for range 50 {
				if !assert.NoError(t, r.Acquire(context.Background(), semregistry.Holder(h), "db", 1, 0)) {
					return
				}
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(50 * time.Microsecond)
				now.Add(-1)
				assert.NoError(t, r.Release(semregistry.Holder(h), "db", 1))
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(3), peak.Load())
	st := r.Stats()[0]
	require.Equal(t, 400, st.Acquires)
	require.Equal(t, int64(3), st.PeakInUse)
}

func TestFIFOLargeRequestIsNotStarved(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}})
	require.NoError(t, r.Acquire(ctx, 1, "db", 1, 0))
	big := make(chan error, 1)
	go func() { big <- r.Acquire(ctx, 2, "db", 2, 0) }()
	waitFor(t, func() bool { return r.Stats()[0].Waiting == 1 }, "the big request to queue")
	small := make(chan error, 1)
	go func() { small <- r.Acquire(ctx, 3, "db", 1, 0) }()
	// The small request fits the free permit; it must queue behind the
	// large one all the same, not be granted.
	waitFor(t, func() bool { return r.Stats()[0].Waiting == 2 || len(small) == 1 }, "the small request to queue or be granted")
	require.Empty(t, small, "a later small request overtook the queued large one")
	require.NoError(t, r.Release(1, "db", 1))
	require.NoError(t, testwait.Chan(t, 10*time.Second, "the large request to be granted", big))
	require.NoError(t, r.Release(2, "db", 2))
	require.NoError(t, testwait.Chan(t, 10*time.Second, "the small request to be granted", small))
}

func TestReleaseAllFreesPermitsAndDropsWaits(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}})
	require.NoError(t, r.Acquire(ctx, 1, "db", 2, 0))
	queued := make(chan error, 1)
	go func() { queued <- r.Acquire(ctx, 1, "db", 1, 0) }()
	other := make(chan error, 1)
	go func() { other <- r.Acquire(ctx, 2, "db", 2, 0) }()
	waitFor(t, func() bool { return r.Stats()[0].Waiting == 2 }, "both requests to queue")

	require.Equal(t, int64(2), r.ReleaseAll(1))
	require.ErrorIs(t, testwait.Chan(t, 10*time.Second, "the dead holder's queued request to end", queued), semregistry.ErrHolderGone, "the dead holder's queued request is dropped")
	require.NoError(t, testwait.Chan(t, 10*time.Second, "the other holder's request to be granted", other), "the other holder gets the permits")
	require.ErrorIs(t, r.Acquire(ctx, 1, "db", 1, 0), semregistry.ErrHolderGone)
	require.Zero(t, r.ReleaseAll(1))
}

func TestCancelledAcquireLeavesCapacityIntact(t *testing.T) {
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}})
	require.NoError(t, r.Acquire(context.Background(), 1, "db", 2, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := r.Acquire(ctx, 2, "db", 1, 0)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	require.NoError(t, r.Release(1, "db", 2))
	full, cancelFull := context.WithTimeout(context.Background(), testwait.Bound(10*time.Second))
	defer cancelFull()
	require.NoError(t, r.Acquire(full, 3, "db", 2, 0), "the whole capacity is free again")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	testwait.For(t, 10*time.Second, what, cond)
}

func TestReleaseGrantsOnTheReleasingGoroutine(t *testing.T) {
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 1}})
	var answers []error
	record := func(err error) { answers = append(answers, err) } // no lock: every call is on this goroutine
	r.Request(1, "db", 1, 0, record)
	require.Equal(t, []error{nil}, answers, "free permits are granted before Request returns")
	w := r.Request(2, "db", 1, 0, record)
	require.True(t, w.Pending())
	require.NoError(t, r.Release(1, "db", 1))
	require.Equal(t, []error{nil, nil}, answers, "the queued request is granted before Release returns")
	require.False(t, w.Pending())
	require.False(t, w.Withdraw(), "an answered request cannot be withdrawn")
	require.Len(t, answers, 2, "done runs exactly once")
}

func TestWithdrawnFrontRequestLetsOthersThrough(t *testing.T) {
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 2}})
	answers := map[string][]error{}
	answerTo := func(name string) func(error) {
		return func(err error) { answers[name] = append(answers[name], err) }
	}
	r.Request(1, "db", 1, 0, answerTo("first"))
	big := r.Request(2, "db", 2, 0, answerTo("big"))
	r.Request(3, "db", 1, 0, answerTo("small"))
	require.Empty(t, answers["small"], "the small request waits behind the big one")
	require.Equal(t, 2, r.Stats()[0].Waiting)

	require.True(t, big.Withdraw())
	require.Len(t, answers["big"], 1)
	require.ErrorIs(t, answers["big"][0], semregistry.ErrWithdrawn)
	require.Equal(t, []error{nil}, answers["small"], "with the big request gone, the small one fits")
	require.Zero(t, r.Stats()[0].Waiting)
	require.False(t, big.Withdraw(), "a second withdrawal does nothing")
	require.Len(t, answers["big"], 1)
}

func TestRefusalsAreAnsweredAtOnce(t *testing.T) {
	r := newRegistry(t, semregistry.Config{Capacities: map[string]int64{"db": 1}})
	var got error
	w := r.Request(1, "", 1, 0, func(err error) { got = err })
	require.ErrorIs(t, got, semregistry.ErrEmptyName)
	require.False(t, w.Pending())
	require.False(t, w.Withdraw())
}
