package semline_test

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/semline"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLineCarriesFramesFromManyWriters(t *testing.T) {
	a, b, err := semline.LocalPair()
	require.NoError(t, err)
	defer a.Close()
	defer b.Close()
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				req := &pb.SemaphoreRequest{RequestId: uint64(w*each + i + 1), Name: "db", Weight: 1}
				if !assert.NoError(t, a.Write(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRequest{SemaphoreRequest: req}})) {
					_ = a.Close() // the reader below fails, rather than wait for frames that will not come
					return
				}
			}
		})
	}
	seen := map[uint64]bool{}
	for range writers * each {
		var m pb.WorkResponse
		require.NoError(t, b.Read(&m))
		seen[m.GetSemaphoreRequest().GetRequestId()] = true
	}
	wg.Wait()
	require.Len(t, seen, writers*each, "every frame arrived whole, none interleaved")
}

func TestLineEnds(t *testing.T) {
	a, b, err := semline.LocalPair()
	require.NoError(t, err)
	read := make(chan error, 1)
	go func() {
		var m pb.WorkRequest
		read <- b.Read(&m)
	}()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, b.Close())
	require.Error(t, <-read, "closing an end ends a Read in progress")

	var m pb.WorkRequest
	c, d, err := semline.LocalPair()
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.ErrorIs(t, d.Read(&m), io.EOF, "the other end's close reads as EOF")
	require.NoError(t, d.Close())
	require.NoError(t, a.Close())
}

func TestLineRefusesOversizedFrames(t *testing.T) {
	a, b, err := semline.LocalPair()
	require.NoError(t, err)
	defer a.Close()
	defer b.Close()
	big := &pb.SemaphoreRelease{Name: string(make([]byte, 2<<20))}
	require.ErrorIs(t, a.Write(&pb.WorkResponse{Msg: &pb.WorkResponse_SemaphoreRelease{SemaphoreRelease: big}}), semline.ErrFrame)

	// A length prefix claiming too much is refused before anything is allocated.
	raw, w, err := semline.Pair()
	require.NoError(t, err)
	defer raw.Close()
	_, err = w.Write(binary.AppendUvarint(nil, 1<<30))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	var m pb.WorkRequest
	err = raw.Read(&m)
	require.True(t, errors.Is(err, semline.ErrFrame), "%v", err)
}
