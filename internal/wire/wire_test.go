package wire_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/wire"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestJobsRoundTrip(t *testing.T) {
	jobs := []wire.Job{
		{ID: 1, Path: "a.go", Name: "a.go", Scanners: 0b1, Attempt: 1},
		{ID: 2, Path: "", Scanners: 0, Attempt: 2},
		{ID: 1 << 40, Root: "/r", Path: "dir/\xff\xfe-not-utf8", Name: "/r/dir/\xff\xfe-not-utf8", Scanners: 1 << 63, Attempt: 3},
		{ID: 4, Root: "/", Path: "etc/x", Name: "/etc/x", Attempt: 1},
		{ID: 5, Root: "/r", Path: "", Name: "/r/", Attempt: 1},
	}
	var b pb.Jobs
	for _, j := range jobs {
		wire.AppendJob(&b, j)
	}
	var got []wire.Job
	require.NoError(t, wire.EachJob(&b, func(j wire.Job) { got = append(got, j) }))
	require.Equal(t, jobs, got)
}

func TestResultsRoundTrip(t *testing.T) {
	detail := &pb.ResultDetail{SkipReason: "binary file"}
	results := []wire.Result{
		{JobID: 7, Scanner: 0, Status: pb.Status_STATUS_OK},
		{JobID: 8, Scanner: 2, Status: pb.Status_STATUS_SKIPPED, Detail: detail},
		{JobID: 9, Scanner: 1, Status: pb.Status_STATUS_OK},
	}
	var b pb.Results
	for _, r := range results {
		wire.AppendResult(&b, r)
	}
	var got []wire.Result
	require.NoError(t, wire.EachResult(&b, func(r wire.Result) { got = append(got, r) }))
	require.Equal(t, results, got)
	require.Equal(t, uint32(1), detail.GetIndex())
}

func TestMalformedBatches(t *testing.T) {
	cases := []struct {
		name string
		each func() error
	}{
		{"jobs: short column", func() error {
			return wire.EachJob(&pb.Jobs{Ids: []uint64{1, 2}, PathEnds: []uint32{0}}, func(wire.Job) {})
		}},
		{"jobs: path past the end", func() error {
			b := &pb.Jobs{Ids: []uint64{1}, PathEnds: []uint32{9}, RootLens: []uint32{0}, ScannerSets: []uint64{1}, Attempts: []uint32{1}}
			return wire.EachJob(b, func(wire.Job) {})
		}},
		{"jobs: root not followed by a separator", func() error {
			b := &pb.Jobs{Ids: []uint64{1}, Paths: []byte("/rx"), PathEnds: []uint32{3}, RootLens: []uint32{2},
				ScannerSets: []uint64{1}, Attempts: []uint32{1}}
			return wire.EachJob(b, func(wire.Job) {})
		}},
		{"jobs: root longer than the name", func() error {
			b := &pb.Jobs{Ids: []uint64{1}, Paths: []byte("/r"), PathEnds: []uint32{2}, RootLens: []uint32{3},
				ScannerSets: []uint64{1}, Attempts: []uint32{1}}
			return wire.EachJob(b, func(wire.Job) {})
		}},
		{"results: short column", func() error {
			return wire.EachResult(&pb.Results{JobIds: []uint64{1}}, func(wire.Result) {})
		}},
		{"results: detail past the end", func() error {
			b := &pb.Results{JobIds: []uint64{1}, Scanners: []uint32{0}, Statuses: []pb.Status{1},
				Details: []*pb.ResultDetail{{Index: 5}}}
			return wire.EachResult(b, func(wire.Result) {})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, c.each(), wire.ErrMalformed)
		})
	}
}
