package workerproc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/wire"
	"github.com/forkscan/forkscan/ipc"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write := func(name, body string) string {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
		return name
	}
	link := func(name, target string) string {
		require.NoError(t, os.Symlink(target, filepath.Join(dir, name)))
		return name
	}
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("OUTSIDE"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	cases := []struct {
		name     string
		root     string // the job's root: dir unless said
		path     string
		max      int64
		category scan.Category // the error's, if any
		skip     string        // a substring of the skip reason, if any
		binary   bool
		size     int64
	}{
		{"text", "", write("a.txt", "hello\n"), 0, 0, "", false, 6},
		{"binary", "", write("b.bin", "ab\x00cd"), 0, 0, "", true, 5},
		{"empty", "", write("empty", ""), 0, 0, "", false, 0},
		{"at the limit", "", write("ten", "0123456789"), 10, 0, "", false, 10},
		{"over the limit", "", write("eleven", "0123456789x"), 10, 0, "too large", false, 0},
		{"missing", "", "nope", 0, scan.InvalidInput, "", false, 0},
		{"directory", "", "sub", 0, 0, "not a regular file (directory)", false, 0},
		{"fifo never blocks", "", "fifo", 0, 0, "not a regular file (named pipe)", false, 0},
		{"non-UTF-8 name", "", write("bad-\xff\xfe", "x"), 0, 0, "", false, 1},
		{"symlink inside", "", link("in", "a.txt"), 0, 0, "", false, 6},
		{"symlink out", "", link("out", filepath.Join(outside, "secret")), 0, 0, SkipOutside, false, 0},
		{"symlink to /dev/zero", "", link("zero", "/dev/zero"), 0, 0, SkipOutside, false, 0},
		{"a root that is gone", filepath.Join(dir, "gone"), "x", 0, scan.InvalidInput, "", false, 0},
		{"no root: the path alone", "-", filepath.Join(dir, "a.txt"), 0, 0, "", false, 6},
	}
	rs := newRoots(nil)
	defer rs.close()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &scan.File{Root: cmpOr(c.root, dir), Path: c.path}
			if c.root == "-" {
				f.Root = ""
			}
			var err *scan.Error
			if f.Root != "" {
				f.Dir, err = rs.dir(f.Root)
			}
			var skip string
			var buf []byte
			if err == nil {
				err, skip = parse(f, c.max, &buf)
			}
			if c.category != 0 {
				require.NotNil(t, err)
				require.ErrorIs(t, err, c.category)
				return
			}
			require.Nil(t, err)
			if c.skip != "" {
				require.Contains(t, skip, c.skip)
				return
			}
			require.Empty(t, skip)
			require.Equal(t, c.binary, f.Binary)
			require.Equal(t, c.size, f.Size)
		})
	}
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// TestParseWithin: with the worker told which directories roots lie in, a
// root swapped for a symlink out of them is refused, never read.
func TestParseWithin(t *testing.T) {
	base := t.TempDir()
	served, elsewhere := filepath.Join(base, "served"), filepath.Join(base, "elsewhere")
	require.NoError(t, os.MkdirAll(filepath.Join(served, "app"), 0o755))
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(served, "app", "a.txt"), []byte("inside"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "a.txt"), []byte("OUTSIDE"), 0o644))
	rs := newRoots([]string{served})
	defer rs.close()
	read := func(root string) (*scan.File, *scan.Error) {
		f := &scan.File{Root: root, Path: "a.txt"}
		var err *scan.Error
		if f.Dir, err = rs.dir(root); err != nil {
			return f, err
		}
		var buf []byte
		err, _ = parse(f, 0, &buf)
		return f, err
	}
	f, err := read(filepath.Join(served, "app"))
	require.Nil(t, err)
	require.Equal(t, "inside", string(f.Data))

	require.NoError(t, os.Rename(filepath.Join(served, "app"), filepath.Join(served, "app.orig")))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(served, "swapped")))
	for _, root := range []string{filepath.Join(served, "swapped"), elsewhere} {
		f, err := read(root)
		require.ErrorIs(t, err, scan.PermissionDenied, root)
		require.Nil(t, f.Data)
	}
}

// TestParseReusesItsBuffer reads files of many sizes, small after large
// and large after small, through one buffer: each reads whole and exact.
func TestParseReusesItsBuffer(t *testing.T) {
	dir := t.TempDir()
	var buf []byte
	for i, size := range []int{5, 70000, 0, 3, 1 << 20, 4096, 4097, 5 << 20, 12} {
		body := bytes.Repeat([]byte{byte('a' + i)}, size)
		path := filepath.Join(dir, strconv.Itoa(i))
		require.NoError(t, os.WriteFile(path, body, 0o644))
		f := &scan.File{Path: path}
		err, skip := parse(f, 0, &buf)
		require.Nil(t, err)
		require.Empty(t, skip)
		require.Equal(t, body, f.Data, "file %d of %d bytes", i, size)
		require.Equal(t, sha256.Sum256(body), f.SHA256)
		require.LessOrEqual(t, cap(buf), keepBuffer, "a big file's buffer is not kept")
	}
}

func TestServeRefusesABadStart(t *testing.T) {
	cases := []struct {
		name  string
		first *pb.WorkRequest
		is    error
		want  string
	}{
		{"jobs before configure", &pb.WorkRequest{Msg: &pb.WorkRequest_Jobs{Jobs: &pb.Jobs{}}}, ErrProtocol, "not Configure"},
		{"unknown scanner", &pb.WorkRequest{Msg: &pb.WorkRequest_Configure{Configure: &pb.Configure{Scanners: []string{"no-such-scanner"}}}}, ErrConfigure, `no scanner "no-such-scanner"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			parent, w := ipc.Pipe(ctx)
			require.NoError(t, parent.Send(c.first))
			err := Serve(w, nil, nil)
			require.ErrorIs(t, err, c.is)
			require.True(t, strings.Contains(err.Error(), c.want), err.Error())
		})
	}
}

// worker-test-echo reports each file's path as a finding.
func init() {
	scan.Register(scan.Def{Name: "worker-test-echo", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(_ context.Context, f *scan.File) (scan.Report, error) {
			return scan.Report{Findings: []scan.Finding{{Rule: "path", Message: f.Path}}}, nil
		}), nil
	}})
}

func TestServeRunsJobsAndCompletes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parent, w := ipc.Pipe(ctx)
	done := make(chan error, 1)
	go func() { done <- Serve(w, nil, nil); w.Close() }()

	cfg := &pb.Configure{Scanners: []string{"worker-test-echo"}, Tasks: 2, Window: 8}
	require.NoError(t, parent.Send(&pb.WorkRequest{Msg: &pb.WorkRequest_Configure{Configure: cfg}}))
	msg, err := parent.Recv()
	require.NoError(t, err)
	require.Equal(t, int32(os.Getpid()), msg.GetReady().GetPid())

	var jobs pb.Jobs
	for i, p := range []string{"a", "b", "c"} {
		wire.AppendJob(&jobs, wire.Job{ID: uint64(i + 1), Path: p, Attempt: 1})
	}
	require.NoError(t, parent.Send(&pb.WorkRequest{Msg: &pb.WorkRequest_Jobs{Jobs: &jobs}}))
	require.NoError(t, parent.Send(&pb.WorkRequest{Msg: &pb.WorkRequest_Drain{Drain: &pb.Drain{}}}))

	got := map[uint64]string{}
	for {
		msg, err := parent.Recv()
		require.NoError(t, err)
		if c := msg.GetWorkerComplete(); c != nil {
			require.Equal(t, uint64(3), c.GetJobsDone())
			break
		}
		if b := msg.GetResults(); b != nil {
			require.NoError(t, wire.EachResult(b, func(r wire.Result) {
				got[r.JobID] = r.Detail.GetFindings()[0].GetMessage()
			}))
		}
	}
	require.Equal(t, map[uint64]string{1: "a", 2: "b", 3: "c"}, got)
	require.NoError(t, parent.CloseSend(), "after WorkerComplete the parent half-closes; the worker then ends")
	require.NoError(t, <-done)
}

// deal gives n tasks taking consecutive shares every n-th job, so that
// jobs sent largest first spread their sizes over the tasks.
func TestDeal(t *testing.T) {
	jobs := func(ids ...uint64) []wire.Job {
		var out []wire.Job
		for _, id := range ids {
			out = append(out, wire.Job{ID: id})
		}
		return out
	}
	cases := []struct {
		n        int
		in, want []wire.Job
	}{
		{2, jobs(1, 2, 3, 4, 5), jobs(1, 3, 5, 2, 4)},
		{3, jobs(1, 2, 3, 4, 5, 6, 7), jobs(1, 4, 7, 2, 5, 3, 6)},
		{1, jobs(1, 2, 3), jobs(1, 2, 3)},
		{4, jobs(1, 2), jobs(1, 2)},
	}
	for _, c := range cases {
		require.Equal(t, c.want, deal(c.in, c.n))
	}
}
