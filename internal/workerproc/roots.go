package workerproc

import (
	"errors"
	"sync"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/worker/scan"
)

// maxRoots is how many roots a worker keeps open; a job of another root
// opens its root for itself. A run has a root per PATH.
const maxRoots = 256

// roots are the roots a worker's jobs name, each open once (a descriptor
// each), for every job's file to be opened beneath its root.
type roots struct {
	within []string // see engine.Config.Within
	mu     sync.Mutex
	open   map[string]*beneath.Dir
}

func newRoots(within []string) *roots {
	return &roots{within: within, open: map[string]*beneath.Dir{}}
}

// dir returns the root named root, open, and what to call when done
// with it; an error for one that cannot be opened (gone, or no longer
// inside within). Roots past maxRoots are opened for the one job and
// closed after: a descriptor another task may be using is never closed.
func (r *roots) dir(root string) (*beneath.Dir, func(), *scan.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.open[root]; d != nil {
		return d, func() {}, nil
	}
	var d *beneath.Dir
	var err error
	if len(r.within) > 0 {
		d, err = beneath.OpenDirIn(r.within, root)
	} else {
		d, err = beneath.OpenDir(root)
	}
	if errors.Is(err, beneath.ErrOutside) {
		return nil, nil, scan.Errorf(scan.PermissionDenied, "refused: the root %w", err)
	}
	if err != nil {
		return nil, nil, scan.AsError(err)
	}
	if len(r.open) >= maxRoots {
		return d, func() { _ = d.Close() }, nil
	}
	r.open[root] = d
	return d, func() {}, nil
}

// close closes every root held, once no task uses them.
func (r *roots) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, d := range r.open {
		_ = d.Close()
		delete(r.open, name)
	}
}
