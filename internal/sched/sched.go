// Package sched puts a process under Linux's batch scheduling policy
// (SCHED_BATCH): what `chrt --batch` does to a command, done from within,
// for a Go program whose threads already run.
//
// A scan is batch work: the CLI's process, its workers and their gits
// form a pipeline whose parts wake one another thousands of times a
// second (a worker calls Batch whoever started it; `forkscan serve`'s
// process, which answers people, does not). Under the default policy each wake-up may preempt whatever
// runs; on 2 cores a history scan's processes were preempted some 30,000
// times in a 5-second run, each time on a cold cache. Batch threads wait
// for the running one's turn to end instead (a few milliseconds at most).
// Nothing is lowered: the nice value stays, and a person's interactive
// programs are, if anything, preferred to the scan.
package sched

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrMoving is Batch giving up on a process whose threads kept starting
// under another policy while it set them.
var ErrMoving = errors.New("sched: threads kept starting under another policy")

// Batch puts every thread of the process under SCHED_BATCH; the threads
// it starts later and the processes it runs inherit the policy. Linux's
// policy is a thread's, so each thread the runtime already has is set,
// pass after pass until one finds none left under another policy. A
// sandbox that refuses the call (seccomp) is its error: the process runs
// all the same, under the policy it had.
func Batch() error {
	batch := &unix.SchedAttr{Policy: unix.SCHED_BATCH}
	for range 5 {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		changed := 0
		for _, e := range tids {
			tid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			switch had, err := unix.SchedGetAttr(tid, 0); {
			case errors.Is(err, unix.ESRCH):
				continue // a thread that has ended
			case err != nil:
				return fmt.Errorf("sched: thread %d: %w", tid, err)
			case had.Policy == unix.SCHED_BATCH:
				continue
			}
			if err := unix.SchedSetAttr(tid, batch, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched: thread %d: %w", tid, err)
			}
			changed++
		}
		if changed == 0 {
			return nil
		}
	}
	return ErrMoving
}
