package workerproc

import (
	"errors"
	"sync"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/worker/scan"
)

// roots are the roots a worker's jobs name, each open once for the
// worker's life (a descriptor each: a run has a root per PATH, a service's
// scan at most its request's paths), for every job's file to be opened
// beneath its root.
type roots struct {
	within []string // see engine.Config.Within
	mu     sync.Mutex
	open   map[string]*beneath.Dir
}

func newRoots(within []string) *roots {
	return &roots{within: within, open: map[string]*beneath.Dir{}}
}

// dir returns the root named root, open; an error for one that cannot be
// opened (gone, or no longer inside within). A root that fails is tried
// again by the next job that names it.
func (r *roots) dir(root string) (*beneath.Dir, *scan.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.open[root]; d != nil {
		return d, nil
	}
	var d *beneath.Dir
	var err error
	if len(r.within) > 0 {
		d, err = beneath.OpenDirIn(r.within, root)
	} else {
		d, err = beneath.OpenDir(root)
	}
	if errors.Is(err, beneath.ErrOutside) {
		return nil, scan.Errorf(scan.PermissionDenied, "refused: the root %w", err)
	}
	if err != nil {
		return nil, scan.AsError(err)
	}
	r.open[root] = d
	return d, nil
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
