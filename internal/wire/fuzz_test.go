package wire_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/forkscan/forkscan/internal/wire"
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// FuzzJobs decodes whatever bytes make a Jobs batch: EachJob never panics,
// and what it accepts encodes back to the same jobs.
func FuzzJobs(f *testing.F) {
	var b pb.Jobs
	wire.AppendJob(&b, wire.Job{ID: 1, Path: "a.go", Scanners: 3, Attempt: 1})
	wire.AppendJob(&b, wire.Job{ID: 2, Root: "/r", Path: "dir/b", Attempt: 2})
	seed, _ := proto.Marshal(&b)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var in pb.Jobs
		if proto.Unmarshal(data, &in) != nil {
			return
		}
		var jobs []wire.Job
		if wire.EachJob(&in, func(j wire.Job) { jobs = append(jobs, j) }) != nil {
			require.Empty(t, jobs, "a malformed batch yields no job")
			return
		}
		var again pb.Jobs
		for _, j := range jobs {
			wire.AppendJob(&again, j)
		}
		var back []wire.Job
		require.NoError(t, wire.EachJob(&again, func(j wire.Job) { back = append(back, j) }))
		require.Equal(t, jobs, back)
	})
}

// FuzzResults decodes whatever bytes make a Results batch: EachResult never
// panics, and what it accepts encodes back to the same results.
func FuzzResults(f *testing.F) {
	var b pb.Results
	wire.AppendResult(&b, wire.Result{JobID: 1, Scanner: 0, Status: pb.Status_STATUS_OK})
	wire.AppendResult(&b, wire.Result{JobID: 1, Scanner: 1, Status: pb.Status_STATUS_ERROR,
		Detail: &pb.ResultDetail{Error: &pb.Error{Category: pb.ErrorCategory_ERROR_CATEGORY_TIMEOUT, Message: "slow"}}})
	seed, _ := proto.Marshal(&b)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var in pb.Results
		if proto.Unmarshal(data, &in) != nil {
			return
		}
		var results []wire.Result
		if wire.EachResult(&in, func(r wire.Result) { results = append(results, r) }) != nil {
			require.Empty(t, results, "a malformed batch yields no result")
			return
		}
		var again pb.Results
		for _, r := range results {
			if r.Detail != nil {
				r.Detail = proto.Clone(r.Detail).(*pb.ResultDetail)
			}
			wire.AppendResult(&again, r)
		}
		n := 0
		require.NoError(t, wire.EachResult(&again, func(r wire.Result) {
			want := results[n]
			require.Equal(t, want.JobID, r.JobID)
			require.Equal(t, want.Scanner, r.Scanner)
			require.Equal(t, want.Status, r.Status)
			require.Equal(t, want.Detail == nil, r.Detail == nil)
			n++
		}))
		require.Equal(t, len(results), n)
	})
}
