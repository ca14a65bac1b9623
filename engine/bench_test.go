package engine_test

import (
	"context"
	"encoding/json"
	"iter"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/semregistry"
)

// BenchmarkThroughputNoop sends b.N no-op jobs end to end (producer, wire,
// worker task, wire, collector, Results) through two worker processes and,
// side by side, b.N through two in-process workers, and reports each
// mode's jobs/s and their ratio. The jobs go in rounds, a run of each mode
// per round, the order of the pair alternating from round to round, so
// that neither mode always runs second (on a CPU the other left busy).
func BenchmarkThroughputNoop(b *testing.B) {
	const rounds = 4
	took := map[bool]time.Duration{}
	b.ResetTimer()
	for i := range rounds {
		n := b.N / rounds
		if i == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		for _, inProcess := range []bool{i%2 == 1, i%2 == 0} { // processes first in even rounds
			took[inProcess] += noopRun(b, n, inProcess)
		}
	}
	b.StopTimer()
	procs, in := float64(b.N)/took[false].Seconds(), float64(b.N)/took[true].Seconds()
	b.ReportMetric(procs, "processes-jobs/s")
	b.ReportMetric(in, "in-process-jobs/s")
	b.ReportMetric(procs/in, "processes/in-process")
	b.ReportMetric(0, "ns/op")
}

// noopRun runs n no-op jobs on 2 workers × 2 tasks and returns the time
// from Start's return until the last result.
func noopRun(b *testing.B, n int, inProcess bool) time.Duration {
	cfg := engine.Config{Scanners: []string{"noop"}, Workers: 2, Tasks: 2, Window: 1024, InProcess: inProcess}
	run, err := engine.Start(context.Background(), cfg, numbered(n))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	got := 0
	for range run.Results() {
		got++
	}
	elapsed := time.Since(start)
	if _, err := run.Wait(); err != nil || got != n {
		b.Fatalf("%d results for %d jobs (in-process %v), err %v", got, n, inProcess, err)
	}
	return elapsed
}

// BenchmarkStartWorkers measures the time from Start until N worker
// processes of this test binary are all ready (ms-all-ready), and that time
// divided by N (ms-all-ready/worker): what a worker costs the pool's start,
// not each worker's own spawn-to-ready (BenchmarkWorkerStart's ms/worker,
// in cmd/forkscan).
func BenchmarkStartWorkers(b *testing.B) {
	for _, n := range []int{2, 8} {
		b.Run(map[int]string{2: "workers=2", 8: "workers=8"}[n], func(b *testing.B) {
			var total time.Duration
			for range b.N {
				var started atomic.Pointer[engine.Run]
				run, err := engine.Start(context.Background(), engine.Config{Scanners: []string{"noop"}, Workers: n, Tasks: 1},
					slowJobs(n+1, 0, n, &started)) // the last job once all are ready
				if err != nil {
					b.Fatal(err)
				}
				started.Store(run)
				st, _ := run.Wait()
				total += st.StartTime
			}
			ms := float64(total) / float64(time.Millisecond)
			b.ReportMetric(ms/float64(b.N*n), "ms-all-ready/worker")
			b.ReportMetric(ms/float64(b.N), "ms-all-ready")
		})
	}
}

// numbered yields n jobs with short distinct paths, cheaply: the source's
// own cost is part of what the benchmark measures, so it is kept small.
func numbered(n int) iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		buf := []byte("job-")
		for i := range n {
			if !yield(engine.Job{Path: string(strconv.AppendInt(buf[:4], int64(i), 10))}) {
				return
			}
		}
	}
}

// BenchmarkSemaphore measures acquire+release pairs of a run-wide semaphore
// made by scanner code in worker processes, each pair a round trip to the
// parent's registry and back (median µs per pair, and pairs per second over
// all looping jobs):
//
//   - alone: one job loops on capacity 1 in a run of 2 workers, the default
//     on this machine (each worker has GOMAXPROCS 1, its share of the CPUs);
//   - alone-one-worker: the same in a run of 1 worker, which then has every
//     CPU (GOMAXPROCS 2 here);
//   - contended: two jobs in two workers loop on capacity 1, so every pair
//     hands the permit across processes;
//   - contended-cap2: the same on capacity 2: the workers contend for the
//     parent's registry, seldom for a permit;
//   - the -in-process cases are alone and contended over in-process workers.
func BenchmarkSemaphore(b *testing.B) {
	cases := []struct {
		name      string
		workers   int
		jobs      int
		capacity  int64
		inProcess bool
	}{
		{"alone", 2, 1, 1, false}, {"alone-one-worker", 1, 1, 1, false},
		{"contended", 2, 2, 1, false}, {"contended-cap2", 2, 2, 2, false},
		{"alone-in-process", 2, 1, 1, true}, {"contended-in-process", 2, 2, 1, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := max(b.N/c.jobs, 1)
			jobs := func(yield func(engine.Job) bool) {
				for range c.jobs {
					if !yield(engine.Job{Path: "loop-" + strconv.Itoa(n)}) {
						return
					}
				}
			}
			cfg := engine.Config{Scanners: []string{"sem-loop"}, Workers: c.workers, Tasks: 1, Window: 1, InProcess: c.inProcess,
				Semaphores: semregistry.Config{Capacities: map[string]int64{"bench": c.capacity}}}
			run, err := engine.Start(context.Background(), cfg, jobs)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			var medians []float64
			for r := range run.Results() {
				var f semLoopFacts
				if r.Status != engine.StatusOK || json.Unmarshal(r.Data, &f) != nil {
					b.Fatalf("%s: %v", r.Status, r.Error)
				}
				medians = append(medians, float64(f.MedianNS)/1e3)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if _, err := run.Wait(); err != nil {
				b.Fatal(err)
			}
			slices.Sort(medians)
			b.ReportMetric(medians[len(medians)/2], "median-µs/pair")
			b.ReportMetric(float64(n*c.jobs)/elapsed.Seconds(), "pairs/s")
		})
	}
}

// BenchmarkRespawn measures the replacement of a dead worker: one worker
// runs a job, then exits on the next (os.Exit(3)), b.N times; reported is
// the time from the end of each worker until its replacement was ready
// (started, handshaken, configured), in ms.
func BenchmarkRespawn(b *testing.B) {
	jobs := func(yield func(engine.Job) bool) {
		for i := range b.N {
			if !yield(engine.Job{Path: "ok-" + strconv.Itoa(i)}) || !yield(engine.Job{Path: "exit-" + strconv.Itoa(i)}) {
				return
			}
		}
	}
	cfg := engine.Config{Scanners: []string{"exiter"}, Workers: 1, Tasks: 1, Window: 1}
	run, err := engine.Start(context.Background(), cfg, jobs)
	if err != nil {
		b.Fatal(err)
	}
	for range run.Results() {
	}
	st, err := run.Wait()
	if err != nil || st.Restarts < b.N-1 {
		b.Fatalf("%d restarts for %d deaths, err %v", st.Restarts, b.N, err)
	}
	b.ReportMetric(float64(st.Respawn)/float64(st.Restarts)/1e6, "ms/respawn")
}

// BenchmarkSlowJobs runs 60 jobs of 100ms on 3 workers of 1 task, and
// reports the wall time against the ideal of 20 rounds of 100ms. The clock
// starts once all 3 workers are ready, not at the first job: slowJobs gives
// each worker one job as it starts and holds the other 57 back until then,
// so the starts are left out, and the first round is already under way on
// the workers ready first (a ratio a little under 1 is possible). It stops
// at the last result: the ratio is about 1 when every worker is kept busy
// to the end, and grows with every round a worker idles or a job waits
// behind another on a busy worker.
func BenchmarkSlowJobs(b *testing.B) {
	const jobs, ms, workers = 60, 100, 3
	var wall time.Duration
	for range b.N {
		var started atomic.Pointer[engine.Run]
		cfg := engine.Config{Scanners: []string{"sleepy"}, Workers: workers, Tasks: 1}
		run, err := engine.Start(context.Background(), cfg, slowJobs(jobs, ms, workers, &started))
		if err != nil {
			b.Fatal(err)
		}
		started.Store(run)
		for run.Progress().Workers < workers { // timed from all workers ready on
			time.Sleep(time.Millisecond)
		}
		begun := time.Now()
		for range run.Results() {
		}
		wall += time.Since(begun)
		if _, err := run.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	ideal := time.Duration(jobs/workers*ms) * time.Millisecond
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.ReportMetric(float64(wall)/float64(b.N)/float64(ideal), "wall/ideal")
	b.ReportMetric(0, "ns/op")
}
