package engine

import (
	"bytes"
	"strings"
	"sync"
)

// stderrTail is how much of a worker's stderr is kept, for the error of a
// job that crashed it.
const stderrTail = 64 << 10

// tail keeps the last bytes written to it: a worker process's stderr, whose
// end usually says why it died (a panic, a fatal signal).
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTail(n int) *tail { return &tail{max: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// lines returns the last n lines kept, without the first if it was cut.
func (t *tail) lines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimRight(t.buf, "\n")
	if len(t.buf) >= t.max { // the first line may be cut
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	for i, k := len(b), 0; i > 0; i-- {
		if b[i-1] == '\n' {
			if k++; k == n {
				return string(b[i:])
			}
		}
	}
	return string(b)
}

// crash returns what the kept stderr says about a crash: from the last Go
// crash header ("panic: ", "fatal error: ", "SIGSEGV: " and the like) on,
// at most n lines; else the last n lines.
func (t *tail) crash(n int) string {
	all := t.lines(1 << 20)
	start := -1
	for _, h := range []string{"panic: ", "fatal error: ", "SIG"} {
		for i := 0; i < len(all); {
			j := strings.Index(all[i:], h)
			if j < 0 {
				break
			}
			if k := i + j; k == 0 || all[k-1] == '\n' {
				start = max(start, k)
			}
			i += j + 1
		}
	}
	if start < 0 {
		return t.lines(n)
	}
	lines := strings.SplitAfterN(all[start:], "\n", n+1)
	return strings.TrimRight(strings.Join(lines[:min(n, len(lines))], ""), "\n")
}
