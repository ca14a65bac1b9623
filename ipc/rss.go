package ipc

import (
	"os"
	"strconv"
	"strings"
)

// ResidentBytes returns the resident set size of process pid in bytes, from
// /proc/PID/statm (pid 0: this process); 0 when unknown. A worker reports
// its own in Metrics; the parent reads its workers' against a memory limit.
func ResidentBytes(pid int) int64 {
	name := "self"
	if pid != 0 {
		name = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + name + "/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
