package service

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Stats are the server's statistics, as seed A's /api/scan/statistics
// has them: scans by state, their rates, the process's health.
type Stats struct {
	Scans   map[State]int `json:"scans"`
	Total   int           `json:"total"`
	Rates   Rates         `json:"rates"`
	Resumed int           `json:"resumed"` // scans carried on after a stop, at least once
	Process ProcessHealth `json:"process"`
	// Workers are the worker processes of the running scans, each with
	// its scan (an empty list when none runs); WorkersRunning counts them.
	Workers        []Worker    `json:"workers"`
	WorkersRunning int         `json:"workers_running"`
	Config         StatsConfig `json:"config"`
	UptimeSec      float64     `json:"uptime_seconds"`
	Time           time.Time   `json:"time"`
}

// Rates are the shares of the scans that have ended, in percent.
type Rates struct {
	Success float64 `json:"success_percent"`
	Failure float64 `json:"failure_percent"`
	Cancel  float64 `json:"cancel_percent"`
}

// ProcessHealth is the server process's own use of the machine.
type ProcessHealth struct {
	RSSBytes   int64   `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Threads    int     `json:"threads"`
	Goroutines int     `json:"goroutines"`
	CPUs       int     `json:"cpus"`
}

// StatsConfig is the part of the configuration a client may see.
type StatsConfig struct {
	MaxScans  int      `json:"max_scans"`
	MaxQueued int      `json:"max_queued"`
	Workers   int      `json:"workers_per_scan"`
	Tasks     int      `json:"tasks_per_worker"`
	Retries   int      `json:"retries"`
	Retain    string   `json:"retain"`
	Roots     []string `json:"roots"`
	CarryOns  int      `json:"max_carry_ons"` // negative: no limit
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	counts, err := s.counts(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	st := Stats{Scans: map[State]int{}, Workers: []Worker{}, Time: time.Now().UTC(), UptimeSec: time.Since(s.started).Seconds(), Process: processHealth(),
		Config: StatsConfig{MaxScans: s.cfg.MaxScans, MaxQueued: s.cfg.MaxQueued, Workers: s.cfg.Engine.Workers,
			Tasks: s.cfg.Engine.Tasks, Retries: s.cfg.Engine.Retries, Retain: s.cfg.Retain.String(), Roots: s.roots,
			CarryOns: s.cfg.MaxCarryOns}}
	for _, state := range States {
		st.Scans[state] = counts[state]
		st.Total += counts[state]
	}
	if ended := counts[Done] + counts[Failed] + counts[Cancelled]; ended > 0 {
		pct := func(n int) float64 { return float64(n) * 100 / float64(ended) }
		st.Rates = Rates{Success: pct(counts[Done]), Failure: pct(counts[Failed]), Cancel: pct(counts[Cancelled])}
	}
	_ = s.store.db.QueryRowContext(r.Context(), "SELECT COUNT(*) FROM scans WHERE resumes > 0").Scan(&st.Resumed)
	s.mu.Lock()
	var running []*active
	for _, a := range s.active {
		running = append(running, a)
	}
	s.mu.Unlock()
	for _, a := range running {
		sc := s.view(a)
		for _, w := range sc.Workers {
			w.Scan = sc.ID
			st.Workers = append(st.Workers, w)
		}
	}
	st.WorkersRunning = len(st.Workers)
	writeJSON(w, http.StatusOK, st)
}

// processHealth reads this process's memory, CPU time and threads from
// /proc (zeros where it cannot).
func processHealth() ProcessHealth {
	h := procHealth("self")
	h.Goroutines, h.CPUs = runtime.NumGoroutine(), runtime.NumCPU()
	return h
}

// procHealth reads process pid's ("self": this one) resident memory,
// threads and CPU time from /proc; zeros where it cannot.
func procHealth(pid string) ProcessHealth {
	var h ProcessHealth
	if data, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			key, val, _ := strings.Cut(line, ":")
			fields := strings.Fields(val)
			if len(fields) == 0 {
				continue
			}
			n, _ := strconv.ParseInt(fields[0], 10, 64)
			switch key {
			case "VmRSS":
				h.RSSBytes = n * 1024
			case "Threads":
				h.Threads = int(n)
			}
		}
	}
	if data, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil {
		// After the command, in parentheses: utime and stime are the 12th and 13th fields.
		if i := strings.LastIndexByte(string(data), ')'); i > 0 {
			f := strings.Fields(string(data)[i+1:])
			if len(f) > 12 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				h.CPUSeconds = (ut + st) / 100 // clock ticks: USER_HZ is 100 on Linux
			}
		}
	}
	return h
}
