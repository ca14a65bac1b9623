package service

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"

	"github.com/forkscan/forkscan/record"
)

//go:embed page/*.html page/style.css
var pageFiles embed.FS

var pages = template.Must(template.New("").Funcs(pageFuncs).ParseFS(pageFiles, "page/*.html"))

// pageFindings is the most findings and errors a scan's page lists.
const pageFindings = 1000

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	list, err := s.Scans(r.Context(), 0, 100)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	refresh := false
	for _, sc := range list {
		refresh = refresh || sc.State == Running || sc.State == Queued
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "index.html", map[string]any{"Scans": list, "Refresh": refresh})
}

func (s *Server) pageScan(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	var notable []record.Record
	more := false
	_ = s.eachRecord(sc.ID, func(rec record.Record) bool {
		if len(rec.Findings) == 0 && rec.Status != record.StatusError {
			return true
		}
		if len(notable) == pageFindings {
			more = true
			return false
		}
		notable = append(notable, rec)
		return true
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "scan.html", map[string]any{"Scan": sc, "Records": notable, "More": more,
		"Refresh": sc.State == Running || sc.State == Queued})
}

// style is the status page's stylesheet: a file of its own, not a <style>
// element, so the content policy needs no 'unsafe-inline' or hash.
var style, _ = pageFiles.ReadFile("page/style.css")

// pageStyle serves the stylesheet, which a browser may keep for an hour:
// it changes only with forkscan.
func pageStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(style)))
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(style)
}
