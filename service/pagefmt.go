package service

import (
	"fmt"
	"html/template"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/forkscan/forkscan/worker/scan/external"
)

// pageFuncs are the status page's words for numbers, as a person reads
// them in ls -h or a CI server's build list: sizes in IEC units, times
// in UTC with the RFC 3339 form for a program in the element's datetime,
// durations rounded to what matters.
var pageFuncs = template.FuncMap{
	"size":     size,
	"duration": pageDuration,
	"seconds":  func(s float64) string { return pageDuration(time.Duration(s * float64(time.Second))) },
	"time":     pageTime,
	"count":    count,
	"pct": func(done int, found int64) int {
		if found == 0 {
			return 0
		}
		return min(int(int64(done)*100/found), 100)
	},
	"add": func(a int, b int64) int { return a + int(b) },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"tools": scannersApart,
	"ptr":   func(t time.Time) *time.Time { return &t },
	"int":   func(n int64) int { return int(n) },
}

// size is n bytes for a person: "912 B", "49.8 MiB".
func size(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", max(n, 0))
	}
	return humanize.IBytesN(uint64(n), 3)
}

// pageDuration is d for a person: "350 ms", "4.2 s", "3 min 5 s",
// "2 h 3 min".
func pageDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// pageTime is a <time> element: the time in UTC to the second for a
// person, RFC 3339 for a program; "—" if there is none.
func pageTime(t *time.Time) template.HTML {
	if t == nil || t.IsZero() {
		return "—"
	}
	u := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s">%s</time>`, u.Format(time.RFC3339), u.Format("2006-01-02 15:04:05 UTC")))
}

// count is n and the noun, singular or plural: "1 file", "3 files".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// scannersApart are a request's scanners without exec, the scanner that
// runs its tools: the tools are listed apart.
func scannersApart(req Request) []string {
	var out []string
	for _, name := range req.Scanners {
		if name != external.Name || len(req.Tools) == 0 {
			out = append(out, name)
		}
	}
	return out
}
