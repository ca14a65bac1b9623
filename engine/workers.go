package engine

import (
	"github.com/forkscan/forkscan/ipc"
	"github.com/forkscan/forkscan/record"
)

// WorkerStatus is one worker of a run as Run.Workers sees it.
type WorkerStatus struct {
	PID      int      // 0 for an in-process worker
	RSSBytes int64    // resident memory, read from /proc; 0 if unknown
	Files    []string // the files its tasks are scanning now (root joined to path)
}

// Workers returns the run's workers now: their pids, memory and the files
// they are on, for a status page. It reads /proc once per worker: call it
// when someone asks, not per job.
func (r *Run) Workers() []WorkerStatus {
	procs := r.currentProcs()
	out := make([]WorkerStatus, 0, len(procs))
	for _, p := range procs {
		w := WorkerStatus{PID: p.pid}
		if p.pid > 0 {
			w.RSSBytes = ipc.ResidentBytes(p.pid)
		}
		if p.board != nil {
			for _, e := range p.board.Running() {
				p.mu.Lock()
				if jb := p.window.get(e.Job); jb != nil {
					w.Files = append(w.Files, record.Join(jb.root, jb.path))
				}
				p.mu.Unlock()
			}
		}
		out = append(out, w)
	}
	return out
}
