package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/scanrun"
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
// every few seconds, for logs. A nil *progress shows nothing.
type progress struct {
	src   *scanrun.Source
	run   *engine.Run
	w     io.Writer
	every time.Duration
	begun time.Time
	stop  chan struct{}
	done  chan struct{}

	mu  sync.Mutex // the bar's drawing: the loop's, and clear's from the output
	bar *progressbar.ProgressBar
}

// newProgress makes the display of mode (bar or plain); nil for off.
func newProgress(mode string, w io.Writer, src *scanrun.Source) *progress {
	if mode != "bar" && mode != "plain" {
		return nil
	}
	p := &progress{src: src, w: w, every: plainEvery, stop: make(chan struct{}), done: make(chan struct{})}
	if mode == "bar" {
		p.every = 200 * time.Millisecond
		p.bar = progressbar.NewOptions64(1, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

// clearIfOn returns what the output calls before it writes to out: when
// out is a terminal too, the bar is wiped off its line, so that records
// and bar never share one (the next tick draws the bar again, below
// them). Nil when there is nothing to clear.
func (p *progress) clearIfOn(out io.Writer) func() {
	if p == nil || p.bar == nil || !isTerminal(out) {
		return nil
	}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		_ = p.bar.Clear()
	}
}

// start shows the progress of run until end.
func (p *progress) start(run *engine.Run) {
	if p == nil {
		return
	}
	p.run, p.begun = run, time.Now()
	go p.loop()
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(p.every)
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
	t := p.src.Out.Tally() // before p.mu: the output holds its lock when it clears the bar
	c := p.src.Walker.Counts()
	kept, keptBytes := p.src.Kept()
	untaken, untakenBytes := p.src.Untaken() // files no scanner takes: done too
	kept, keptBytes = kept+untaken, keptBytes+untakenBytes
	done := int64(t.Files.Done+t.Files.Failed+t.Files.Unscanned) + kept
	total := fmt.Sprint(c.Found)
	if !c.Ended {
		total += "+"
	}
	label := fmt.Sprintf("%d/%s files, %d failed, %d workers replaced", done, total, t.Files.Failed, p.run.Progress().Restarts)
	scanned := t.Bytes + keptBytes
	if p.bar != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.bar.ChangeMax64(max(c.Bytes, 1))
		p.bar.Describe(label)
		_ = p.bar.Set64(scanned)
		return
	}
	took := time.Since(p.begun)
	rate := float64(done) / took.Seconds()
	eta := "?"
	if c.Ended && scanned > 0 {
		eta = (time.Duration(float64(took) * float64(c.Bytes-scanned) / float64(scanned))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "forkscan: progress: %s, %s of %s, %.0f files/s, ETA %s\n", label, size(scanned), size(c.Bytes), rate, eta)
}

// end stops the display; a bar is cleared, so the summary follows cleanly.
func (p *progress) end() {
	if p == nil || p.run == nil {
		return
	}
	close(p.stop)
	<-p.done
	if p.bar != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
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
