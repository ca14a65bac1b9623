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

// progress shows how a run goes on stderr: a bar of the bytes this run
// has to scan, with its percentage, rate and ETA in bytes too (the files
// are dealt largest first, so a count of files would run ahead of the
// time), and a label that counts files scanned, kept from the output
// resumed, failed, and workers replaced; or, in plain mode, the same as a
// line every few seconds, for logs. The bytes of the files a resume keeps
// are not this run's work: they count in neither the bar nor its rate. A
// nil *progress shows nothing.
type progress struct {
	src   *scanrun.Source
	run   *engine.Run
	w     io.Writer
	every time.Duration
	begun time.Time
	stop  chan struct{}
	done  chan struct{}

	mu  sync.Mutex // the bar's drawing: the loop's, clear's from the output, interject's
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
		p.bar = progressbar.NewOptions64(1, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

// sharing returns the writer the output is to write to out through: out
// itself, unless out is the terminal the bar is drawn on too. Then each
// write wipes the bar off its line first, holding the bar's lock across
// the wipe and the write, so that the bar is not drawn again between them
// (it was, at times, when the wipe came alone before the write); the next
// tick draws it below the records. The two never share a line.
func (p *progress) sharing(out io.Writer) io.Writer {
	if p == nil || p.bar == nil || !isTerminal(out) {
		return out
	}
	return barWiper{p: p, out: out}
}

// barWiper is out with the bar wiped off its line before each write.
type barWiper struct {
	p   *progress
	out io.Writer
}

func (b barWiper) Write(data []byte) (int, error) {
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	_ = b.p.bar.Clear()
	return b.out.Write(data)
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
	untaken, untakenBytes := p.src.Untaken() // files no scanner takes: no work of this run either
	label := fmt.Sprintf("%s scanned", plural(t.Files.Done+t.Files.Failed+t.Files.Unscanned, "file", "files"))
	if kept > 0 {
		label += fmt.Sprintf(", %d kept", kept)
	}
	if untaken > 0 {
		label += fmt.Sprintf(", %d not for the tools", untaken)
	}
	if t.Files.Failed > 0 {
		label += fmt.Sprintf(", %d failed", t.Files.Failed)
	}
	if r := p.run.Progress().Restarts; r > 0 {
		label += fmt.Sprintf(", %s replaced", plural(r, "worker", "workers"))
	}
	scanned, total := t.Bytes, max(c.Bytes-keptBytes-untakenBytes, 0)
	if p.bar != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.bar.ChangeMax64(max(total, scanned, 1))
		p.bar.Describe(label)
		_ = p.bar.Set64(scanned)
		return
	}
	took := time.Since(p.begun)
	of := size(total)
	if !c.Ended {
		of += "+"
	}
	eta := "?"
	if c.Ended && scanned > 0 {
		eta = (time.Duration(float64(took) * float64(total-scanned) / float64(scanned))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "forkscan: progress: %s; %s of %s, %s/s, ETA %s\n", label, size(scanned), of, size(int64(float64(scanned)/took.Seconds())), eta)
}

// interject has say write a line of its own to w, the bar's writer if it
// shows one: the bar's line is ended first, so that the line (and the ^C
// the terminal echoed after the bar) stays whole; the bar draws itself
// again below it.
func (p *progress) interject(say func(io.Writer), w io.Writer) {
	if p == nil || p.bar == nil {
		say(w)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar.IsStarted() {
		fmt.Fprintln(p.w)
	}
	say(p.w)
}

// plural is n and the noun for n: "1 file", "2 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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
