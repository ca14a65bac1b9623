package engine

// window is a worker's jobs in flight, one slot per credit. A job's handle
// on the wire names its slot (low 32 bits) and how many times that slot has
// been used (high 32 bits): finding a job from its result is an index, not
// a map lookup, and a result for a slot's earlier job is told apart.
//
// A window is guarded by its proc's mutex.
type window struct {
	slots []slot
	free  []uint32 // a stack of free slot numbers
}

type slot struct {
	jb     *job
	handle uint64
}

func newWindow(n int) *window {
	w := &window{slots: make([]slot, n), free: make([]uint32, n)}
	for i := range w.free {
		w.free[i] = uint32(n - 1 - i)
	}
	return w
}

// put places jb in a free slot and returns its handle. The caller holds a
// credit for it, so a slot is free; put panics otherwise.
func (w *window) put(jb *job) uint64 {
	if len(w.free) == 0 {
		panic("engine: window overflow: a job was sent without a credit")
	}
	n := w.free[len(w.free)-1]
	w.free = w.free[:len(w.free)-1]
	s := &w.slots[n]
	s.jb = jb
	s.handle = (s.handle>>32+1)<<32 | uint64(n)
	return s.handle
}

// get returns the job with the given handle, or nil if there is none.
func (w *window) get(handle uint64) *job {
	n := handle & (1<<32 - 1)
	if n >= uint64(len(w.slots)) || w.slots[n].handle != handle {
		return nil
	}
	return w.slots[n].jb
}

// remove frees the slot of the job with the given handle.
func (w *window) remove(handle uint64) {
	n := uint32(handle)
	w.slots[n].jb = nil
	w.free = append(w.free, n)
}

// count returns how many jobs the window holds.
func (w *window) count() int { return len(w.slots) - len(w.free) }

// drain empties the window and returns the jobs that were in it.
func (w *window) drain() []*job {
	var jobs []*job
	for n := range w.slots {
		if jb := w.slots[n].jb; jb != nil {
			jobs = append(jobs, jb)
			w.remove(w.slots[n].handle)
		}
	}
	return jobs
}
