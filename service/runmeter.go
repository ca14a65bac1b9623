package service

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forkscan/forkscan/engine"
)

// RunMeter follows one run for Metrics: the bytes of the files its
// output has complete, the jobs it retried and the workers it replaced,
// counted as they grow. A nil *RunMeter (of a nil *Metrics) counts
// nothing.
type RunMeter struct {
	m     *Metrics
	run   *engine.Run
	bytes func() int64 // the bytes of the files complete so far

	// counted is what the metrics have of this run so far; guarded by
	// m.runs.mu, as the totals are.
	counted runTotals
}

// runTotals are the counts a run adds to the metrics.
type runTotals struct {
	bytes             int64
	retries, restarts int
}

// Follow makes a meter of run, whose bytes bytes returns (an output's
// Tally().Bytes; called when scraped, so safe for concurrent use): from
// now until End, its retries, worker restarts and bytes reach the metrics
// as they happen. Call Record with each of its results and End once
// after Wait.
func (m *Metrics) Follow(run *engine.Run, bytes func() int64) *RunMeter {
	if m == nil {
		return nil
	}
	rm := &RunMeter{m: m, run: run, bytes: bytes}
	m.runs.mu.Lock()
	m.runs.live[rm] = struct{}{}
	m.runs.mu.Unlock()
	return rm
}

// Record counts a result of the run. Its bytes, retries and restarts
// are read when the metrics are scraped (and at End), not per result: a
// scrape sees all the run has done until that moment, and a run nobody
// scrapes pays nothing per result for them.
func (rm *RunMeter) Record(r engine.Result) {
	if rm == nil {
		return
	}
	rm.m.Record(r)
}

// End counts what is left of the run as its Stats say at its end, and
// the bytes of the files its output has complete; the meter follows the
// run no more. Nothing counted before is counted again.
func (rm *RunMeter) End(st engine.Stats, bytes int64) {
	if rm == nil {
		return
	}
	rm.m.runs.mu.Lock()
	defer rm.m.runs.mu.Unlock()
	rm.m.runs.add(rm, runTotals{bytes: bytes, retries: st.Retries, restarts: st.Restarts})
	delete(rm.m.runs.live, rm)
}

// runCounters are the counters of bytes, retries and restarts over every
// run: the totals, brought up to date from the live runs when scraped.
type runCounters struct {
	mu     sync.Mutex
	live   map[*RunMeter]struct{}
	totals runTotals
}

var (
	bytesDesc = prometheus.NewDesc("forkscan_bytes_scanned_total",
		"Bytes of the files scanned, counted as each file's records are all in.", nil, nil)
	restartsDesc = prometheus.NewDesc("forkscan_worker_restarts_total",
		"Worker processes started to replace one that ended early, counted as they start.", nil, nil)
	retriesDesc = prometheus.NewDesc("forkscan_job_retries_total",
		"Jobs sent again after a failure or a worker's death, counted as they are sent.", nil, nil)
)

// add brings the totals up to now, what rm's run says it has done: each
// count's growth since it was last counted, never less than nothing (a
// counter only goes up). The caller holds c.mu.
func (c *runCounters) add(rm *RunMeter, now runTotals) {
	was := rm.counted
	c.totals.bytes += max(now.bytes-was.bytes, 0)
	c.totals.retries += max(now.retries-was.retries, 0)
	c.totals.restarts += max(now.restarts-was.restarts, 0)
	rm.counted = runTotals{bytes: max(now.bytes, was.bytes), retries: max(now.retries, was.retries), restarts: max(now.restarts, was.restarts)}
}

func (c *runCounters) Describe(ch chan<- *prometheus.Desc) {
	ch <- bytesDesc
	ch <- restartsDesc
	ch <- retriesDesc
}

// Collect reads the live runs and reports the totals.
func (c *runCounters) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	for rm := range c.live {
		p := rm.run.Progress()
		c.add(rm, runTotals{bytes: rm.bytes(), retries: p.Retries, restarts: p.Restarts})
	}
	t := c.totals
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(t.bytes))
	ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(t.restarts))
	ch <- prometheus.MustNewConstMetric(retriesDesc, prometheus.CounterValue, float64(t.retries))
}
