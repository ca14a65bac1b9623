package taskboard_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/taskboard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSharedBoard(t *testing.T) {
	parent, f, err := taskboard.New(2)
	require.NoError(t, err)
	defer parent.Close()
	fd, err := syscall.Dup(int(f.Fd())) // what a child inherits; Open takes it over
	require.NoError(t, err)
	require.NoError(t, f.Close())
	worker, err := taskboard.Open(uintptr(fd))
	require.NoError(t, err)
	require.Equal(t, 2, worker.Tasks())

	since := worker.Begin(1, 42)
	worker.Begin(5, 7) // beyond the board: not recorded
	got := parent.Running()
	require.Len(t, got, 1, "the parent sees what the worker wrote")
	require.Equal(t, 1, got[0].Task)
	require.Equal(t, uint64(42), got[0].Job)
	require.True(t, since.Equal(got[0].Since))

	require.NoError(t, worker.Close(), "the worker's mapping goes; the parent's stays")
	require.Len(t, parent.Running(), 1)
	require.NoError(t, parent.Close())
	require.Empty(t, parent.Running(), "a closed board reads as empty")
	require.NoError(t, parent.Close(), "Close twice")
}

func TestLocalBoard(t *testing.T) {
	b := taskboard.Local(0)
	require.Equal(t, 1, b.Tasks(), "room for one task at least")
	b.Begin(0, 3)
	b.End(0)
	require.Empty(t, b.Running())
	var none *taskboard.Board
	none.Begin(0, 1) // a nil board records nothing
	none.End(0)
}
