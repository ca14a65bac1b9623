package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/forkscan/forkscan/engine"
)

// plainEvery is how often --progress plain prints its line.
var plainEvery = 5 * time.Second

// progressMode resolves --progress and --no-progress: auto is a bar when
// stderr is a terminal and the CI variable is unset, and nothing otherwise.
func progressMode(f scanFlags, stderr io.Writer) string {
	switch {
	case f.noProgress:
		return "off"
	case f.progress != "auto":
		return f.progress
	case isTerminal(stderr) && os.Getenv("CI") == "":
		return "bar"
	}
	return "off"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows how a run goes on stderr: a bar of the bytes scanned
// (with rate and ETA) whose label counts files done of those found so far,
// failures and replaced workers; or, in plain mode, the same as a line
// every few seconds, for logs.
type progress struct {
	walker *walker
	sink   *sink
	run    *engine.Run
	w      io.Writer
	bar    *progressbar.ProgressBar
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
}

// startProgress starts showing progress in mode (bar or plain); nil for off.
func startProgress(mode string, w io.Writer, wk *walker, s *sink, run *engine.Run) *progress {
	if mode != "bar" && mode != "plain" {
		return nil
	}
	p := &progress{walker: wk, sink: s, run: run, w: w, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	every := plainEvery
	if mode == "bar" {
		every = 200 * time.Millisecond
		p.bar = progressbar.NewOptions64(1, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetRenderBlankState(true))
	}
	go p.loop(every)
	return p
}

func (p *progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.show()
		case <-p.stop:
			return
		}
	}
}

func (p *progress) show() {
	t := p.sink.snapshot()
	found, bytes := p.walker.found.Load(), p.walker.foundBytes.Load()
	done := int64(t.files.done + t.files.failed + t.files.walked)
	total := fmt.Sprint(found)
	if !p.walker.walked.Load() {
		total += "+"
	}
	pr := p.run.Progress()
	label := fmt.Sprintf("%d/%s files, %d failed, %d workers replaced", done, total, t.files.failed, pr.Restarts)
	if p.bar != nil {
		p.bar.ChangeMax64(max(bytes, 1))
		p.bar.Describe(label)
		_ = p.bar.Set64(t.bytes)
		return
	}
	took := time.Since(p.start)
	rate := float64(done) / took.Seconds()
	eta := "?"
	if p.walker.walked.Load() && t.bytes > 0 {
		eta = (time.Duration(float64(took) * float64(bytes-t.bytes) / float64(t.bytes))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "forkscan: progress: %s, %s of %s, %.0f files/s, ETA %s\n", label, size(t.bytes), size(bytes), rate, eta)
}

// end stops the display; a bar is cleared, so the summary follows cleanly.
func (p *progress) end() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	if p.bar != nil {
		_ = p.bar.Clear()
		fmt.Fprint(p.w, "\r")
	}
}

// size formats n bytes for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
