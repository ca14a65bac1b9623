// Package proctest reads /proc for tests that must check processes: which
// children a process has, which processes a process group still holds,
// whether a pid is alive, how much memory a process holds. It never signals
// anything: a test ends only the processes it started, by pid, itself.
//
// It is what pgrep is to a shell script, for tests: it looks, and leaves
// the killing to whoever started the processes.
package proctest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stat is the part of /proc/PID/stat the tests need.
type Stat struct {
	PID, PPID, PGID int
	State           byte // R, S, D, Z, ...
	Policy          int  // the scheduling policy: 0 SCHED_OTHER, 3 SCHED_BATCH, ...
}

// ReadStat reads /proc/pid/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	// The command name is in parentheses and may hold spaces; fields follow the last ')'.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return Stat{}, fmt.Errorf("proctest: malformed stat for %d", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 39 {
		return Stat{}, fmt.Errorf("proctest: short stat for %d", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	policy, _ := strconv.Atoi(f[41-3]) // the 41st field; f begins at the 3rd
	return Stat{PID: pid, PPID: ppid, PGID: pgid, State: f[0][0], Policy: policy}, nil
}

// ThreadPolicies returns the scheduling policy of each live thread of pid
// (Stat.Policy), by thread id.
func ThreadPolicies(pid int) map[int]int {
	out := map[int]int{}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/[0-9]*", pid))
	for _, task := range tasks {
		tid, err := strconv.Atoi(filepath.Base(task))
		if err != nil {
			continue
		}
		if st, err := ReadStat(tid); err == nil && st.State != 'Z' {
			out[tid] = st.Policy
		}
	}
	return out
}

// Alive reports whether pid exists and is not a zombie: a zombie has
// exited, whether or not its parent has reaped it yet.
func Alive(pid int) bool {
	st, err := ReadStat(pid)
	return err == nil && st.State != 'Z'
}

// Children returns the live (non-zombie) children of pid.
func Children(pid int) []int {
	return match(func(st Stat) bool { return st.PPID == pid })
}

// Group returns the live (non-zombie) members of process group pgid: what a
// kill(-pgid, ...) would still reach, less the zombies it could not hurt.
func Group(pgid int) []int {
	return match(func(st Stat) bool { return st.PGID == pgid })
}

// Descendants returns the live (non-zombie) processes under pid, its
// children's children too, from one reading of /proc: cheap enough to
// sample a process tree while it is measured.
func Descendants(pid int) []int {
	kids := map[int][]int{}
	for _, st := range stats() {
		if st.State != 'Z' {
			kids[st.PPID] = append(kids[st.PPID], st.PID)
		}
	}
	var out []int
	for todo := kids[pid]; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], kids[p]...)
		out = append(out, p)
	}
	return out
}

// stats reads the stat of every process.
func stats() []Stat {
	entries, _ := filepath.Glob("/proc/[0-9]*")
	out := make([]Stat, 0, len(entries))
	for _, e := range entries {
		n, err := strconv.Atoi(filepath.Base(e))
		if err != nil {
			continue
		}
		if st, err := ReadStat(n); err == nil {
			out = append(out, st)
		}
	}
	return out
}

// match returns the live (non-zombie) pids whose stat satisfies ok.
func match(ok func(Stat) bool) []int {
	var pids []int
	for _, st := range stats() {
		if st.State != 'Z' && ok(st) {
			pids = append(pids, st.PID)
		}
	}
	return pids
}

// WaitGone waits up to timeout for every pid to be gone (or a zombie), and
// returns those still alive.
func WaitGone(pids []int, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		var alive []int
		for _, p := range pids {
			if Alive(p) {
				alive = append(alive, p)
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) {
			return alive
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RSS returns the resident set size of pid in bytes, from /proc/pid/status.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("proctest: no VmRSS for %d", pid)
}
