package engine_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
)

// TestMillionJobsFlatMemory runs 1,000,000 no-op jobs through two worker
// processes and checks that the parent's memory at the end is what it was
// a tenth of the way in: nothing in the parent grows with the job count. A
// leak of one small struct per job (64 bytes) would add 57 MiB here.
func TestMillionJobsFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million jobs")
	}
	const n = 1_000_000
	run, err := engine.Start(context.Background(), engine.Config{Scanners: []string{"noop"}, Workers: 2}, numbered(n))
	require.NoError(t, err)
	var early, late memSample
	i := 0
	for range run.Results() {
		i++
		switch i {
		case n / 10:
			early = sample(t)
		case n - n/100:
			late = sample(t)
		}
	}
	st, err := run.Wait()
	require.NoError(t, err)
	require.Equal(t, n, st.Results)
	require.Equal(t, n, st.OK)
	t.Logf("at %d jobs: heap %d KiB, RSS %d KiB; at %d jobs: heap %d KiB, RSS %d KiB",
		n/10, early.heap>>10, early.rss>>10, n-n/100, late.heap>>10, late.rss>>10)
	require.Less(t, late.heap, early.heap+8<<20, "live heap grew with the job count")
	require.Less(t, late.rss, early.rss+32<<20, "RSS grew with the job count")
	requireNoChildren(t)
}

type memSample struct{ heap, rss int64 }

func sample(t *testing.T) memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := proctest.RSS(os.Getpid())
	require.NoError(t, err)
	return memSample{heap: int64(ms.HeapAlloc), rss: rss}
}
