package shutdown_test

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/shutdown"
)

// A first signal cancels the run's context, a second calls OnSecond's
// function; each is told first. (The test signals its own process: once
// a signal was caught, Stop leaves SIGINT and SIGTERM ignored.)
func TestSignals(t *testing.T) {
	var mu sync.Mutex
	var told []bool
	ctx, s := shutdown.Catch(context.Background(), func(_ os.Signal, again bool) {
		mu.Lock()
		told = append(told, again)
		mu.Unlock()
	})
	killed := make(chan struct{})
	s.OnSecond(func() { close(killed) })
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	testwait.Chan(t, 10*time.Second, "the first signal to cancel the context", ctx.Done())
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	testwait.Chan(t, 10*time.Second, "the second signal to call OnSecond's function", killed)
	s.Stop()
	require.Equal(t, []bool{false, true}, told)
}

// With no signal, Stop ends the catching and cancels the context; a
// function given to OnSecond never runs.
func TestSignalsStopWithoutSignal(t *testing.T) {
	ctx, s := shutdown.Catch(context.Background(), nil)
	s.OnSecond(func() { t.Error("no second signal came") })
	require.NoError(t, ctx.Err())
	s.Stop()
	require.Error(t, ctx.Err())
}
