package wire

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// ErrMalformed is returned for a batch whose columns do not line up.
var ErrMalformed = errors.New("wire: malformed batch")

// Job is one parse job as the wire carries it in a Jobs batch.
type Job struct {
	ID uint64
	// Root and Path say where the file is: Path relative to Root, or as
	// given when Root is empty (see record.Join).
	Root, Path string
	// Name is record.Join(Root, Path), the name to open the file by. EachJob
	// sets it (Root and Path are parts of it, so a job costs one string);
	// AppendJob ignores it.
	Name     string
	Scanners uint64 // bit i: the run's scanner i; 0 means all of them
	Attempt  uint32
}

// AppendJob adds j to the batch b.
func AppendJob(b *pb.Jobs, j Job) {
	b.Ids = append(b.Ids, j.ID)
	b.Paths = append(b.Paths, j.Root...)
	b.RootLens = append(b.RootLens, uint32(len(j.Root)))
	if j.Root != "" && !strings.HasSuffix(j.Root, string(filepath.Separator)) {
		b.Paths = append(b.Paths, filepath.Separator)
	}
	b.Paths = append(b.Paths, j.Path...)
	b.PathEnds = append(b.PathEnds, uint32(len(b.Paths)))
	b.ScannerSets = append(b.ScannerSets, j.Scanners)
	b.Attempts = append(b.Attempts, j.Attempt)
}

// EachJob calls fn for every job of b, in order. It returns ErrMalformed,
// and calls fn for nothing, if the columns do not line up.
func EachJob(b *pb.Jobs, fn func(Job)) error {
	n := len(b.GetIds())
	if len(b.GetPathEnds()) != n || len(b.GetScannerSets()) != n || len(b.GetAttempts()) != n || len(b.GetRootLens()) != n {
		return fmt.Errorf("%w: %d ids, %d paths, %d roots, %d scanner sets, %d attempts",
			ErrMalformed, n, len(b.GetPathEnds()), len(b.GetRootLens()), len(b.GetScannerSets()), len(b.GetAttempts()))
	}
	start := uint32(0)
	for i, end := range b.GetPathEnds() {
		if end < start || int(end) > len(b.GetPaths()) {
			return fmt.Errorf("%w: path end %d out of order or past %d bytes", ErrMalformed, end, len(b.GetPaths()))
		}
		if !rootFits(b.Paths[start:end], int(b.RootLens[i])) {
			return fmt.Errorf("%w: job %d's root of %d bytes is not followed by a separator", ErrMalformed, i, b.RootLens[i])
		}
		start = end
	}
	start = 0
	for i, id := range b.GetIds() {
		end := b.PathEnds[i]
		j := Job{ID: id, Name: string(b.Paths[start:end]), Scanners: b.ScannerSets[i], Attempt: b.Attempts[i]}
		j.Root, j.Path = splitName(j.Name, int(b.RootLens[i]))
		fn(j)
		start = end
	}
	return nil
}

// rootFits reports whether the first rootLen bytes of name can be its
// root: they are, and a separator follows them unless they end with one.
func rootFits(name []byte, rootLen int) bool {
	switch {
	case rootLen == 0:
		return true
	case rootLen > len(name):
		return false
	case name[rootLen-1] == filepath.Separator:
		return true
	}
	return rootLen < len(name) && name[rootLen] == filepath.Separator
}

// splitName takes a job's name apart into its root (the first rootLen
// bytes) and its path after the separator AppendJob put between them.
func splitName(name string, rootLen int) (root, path string) {
	root, path = name[:rootLen], name[rootLen:]
	if root != "" && !strings.HasSuffix(root, string(filepath.Separator)) {
		path = strings.TrimPrefix(path, string(filepath.Separator))
	}
	return root, path
}

// Result is one result as the wire carries it in a Results batch. Detail
// is nil for a result with nothing to say beyond its status.
type Result struct {
	JobID   uint64
	Scanner uint32 // index of the run's scanner
	Status  pb.Status
	Detail  *pb.ResultDetail
}

// AppendResult adds r to the batch b.
func AppendResult(b *pb.Results, r Result) {
	if r.Detail != nil {
		r.Detail.Index = uint32(len(b.JobIds))
		b.Details = append(b.Details, r.Detail)
	}
	b.JobIds = append(b.JobIds, r.JobID)
	b.Scanners = append(b.Scanners, r.Scanner)
	b.Statuses = append(b.Statuses, r.Status)
}

// EachResult calls fn for every result of b, in order. It returns
// ErrMalformed, and calls fn for nothing, if the columns do not line up.
func EachResult(b *pb.Results, fn func(Result)) error {
	n := len(b.GetJobIds())
	if len(b.GetScanners()) != n || len(b.GetStatuses()) != n {
		return fmt.Errorf("%w: %d job ids, %d scanners, %d statuses", ErrMalformed, n, len(b.GetScanners()), len(b.GetStatuses()))
	}
	last := -1
	for _, d := range b.GetDetails() {
		if int(d.GetIndex()) <= last || int(d.GetIndex()) >= n {
			return fmt.Errorf("%w: detail index %d out of order or past %d results", ErrMalformed, d.GetIndex(), n)
		}
		last = int(d.GetIndex())
	}
	details := b.GetDetails()
	for i, id := range b.GetJobIds() {
		r := Result{JobID: id, Scanner: b.Scanners[i], Status: b.Statuses[i]}
		if len(details) > 0 && int(details[0].GetIndex()) == i {
			r.Detail, details = details[0], details[1:]
		}
		fn(r)
	}
	return nil
}
