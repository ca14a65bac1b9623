package service

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forkscan/forkscan/engine"
)

// Metrics are the Prometheus metrics of runs and their records, in a
// registry of their own (never the global one: a program may hold two):
// what a server exports at /metrics, and what `forkscan scan --listen`
// exports for the length of one run. Safe for concurrent use. A nil
// *Metrics counts nothing: a run that nobody scrapes pays nothing per
// record.
//
// Records and findings are counted as each result arrives; bytes, retries
// and worker restarts are read from the runs Follow was given when the
// metrics are scraped, as a process exporter reads CPU seconds, so a
// dashboard of an hour-long scan moves while it runs, not once at its end.
type Metrics struct {
	reg      *prometheus.Registry
	files    *prometheus.CounterVec // records by scanner and status
	findings prometheus.Counter
	runs     runCounters
}

// NewMetrics makes the metrics, with Go's and the process's own.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forkscan_files_scanned_total",
			Help: "Records made: one per file and scanner, by scanner and status (ok, error, skipped)."}, []string{"scanner", "status"}),
		findings: prometheus.NewCounter(prometheus.CounterOpts{Name: "forkscan_findings_total", Help: "Findings in the records made."}),
		runs:     runCounters{live: map[*RunMeter]struct{}{}},
	}
	m.reg.MustRegister(m.files, m.findings, &m.runs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Record counts a result.
func (m *Metrics) Record(r engine.Result) {
	if m == nil {
		return
	}
	m.files.WithLabelValues(r.Scanner, r.Status.String()).Inc()
	m.findings.Add(float64(len(r.Findings)))
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// MetricsHandler serves m at /metrics and a liveness probe at /healthz,
// with the headers of a server's every answer: what `forkscan scan
// --listen` serves for the length of a run. It has no status page, no
// token and no state to change; a scraper may name it by any host.
func MetricsHandler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", healthz)
	return withHeaders(mux)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// serverMetrics are a server's: the run metrics, and what only a server has.
type serverMetrics struct {
	*Metrics
	submitted prometheus.Counter
	endings   *prometheus.CounterVec
}

func newServerMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{Metrics: NewMetrics(),
		submitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "forkscan_scans_submitted_total", Help: "Scans accepted."}),
		endings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forkscan_scan_endings_total",
			Help: "Runs of scans that ended, by how (done, failed, cancelled, interrupted)."}, []string{"state"}),
	}
	m.reg.MustRegister(m.submitted, m.endings, &serverCollector{s})
	return m
}

func (m *serverMetrics) ended(state State) { m.endings.WithLabelValues(string(state)).Inc() }

// serverCollector reads what is a state, not an event, when scraped: the
// scans by state and the shared semaphores' waits.
type serverCollector struct{ s *Server }

var (
	scansDesc = prometheus.NewDesc("forkscan_scans", "Scans the server holds, by state.", []string{"state"}, nil)
	waitDesc  = prometheus.NewDesc("forkscan_semaphore_wait_seconds_total",
		"Time requests for a run-wide semaphore waited, over every scan.", []string{"name"}, nil)
	heldDesc = prometheus.NewDesc("forkscan_semaphore_acquires_total", "Grants of a run-wide semaphore.", []string{"name"}, nil)
)

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- scansDesc
	ch <- waitDesc
	ch <- heldDesc
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.s.counts(context.Background())
	if err == nil {
		for _, st := range States {
			ch <- prometheus.MustNewConstMetric(scansDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
		}
	}
	for _, st := range c.s.sems.Stats() {
		ch <- prometheus.MustNewConstMetric(waitDesc, prometheus.CounterValue, st.Wait.Seconds(), st.Name)
		ch <- prometheus.MustNewConstMetric(heldDesc, prometheus.CounterValue, float64(st.Acquires), st.Name)
	}
}
