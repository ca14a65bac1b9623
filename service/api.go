package service

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

// Handler is the server's HTTP API, status page and probes, with the
// headers of every answer (see withHeaders). With a token, every request
// but the probes (/healthz, /readyz) must carry it as "Authorization:
// Bearer TOKEN", and may come from any host. Without one, a request must
// name a host the server serves (Config.AllowedHosts: 421 otherwise), and
// one that changes something (any method but GET, HEAD and OPTIONS) must
// not come from a page of another site (403). With or without one, such a
// request sends JSON, saying so, or no body and no type (415).
// The probes answer any host: they tell nothing but that the server
// lives.
func (s *Server) Handler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/scans", s.postScan)
	mux.HandleFunc("GET /v1/scans", s.listScans)
	mux.HandleFunc("GET /v1/scans/{id}", s.getScan)
	mux.HandleFunc("GET /v1/scans/{id}/results", s.getResults)
	mux.HandleFunc("POST /v1/scans/{id}/cancel", s.cancelScan)
	mux.HandleFunc("DELETE /v1/scans/{id}", s.deleteScan)
	mux.HandleFunc("GET /v1/stats", s.getStats)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /{$}", s.pageIndex)
	mux.HandleFunc("GET /scans/{id}", s.pageScan)
	mux.HandleFunc("GET /style.css", pageStyle)
	probes := http.NewServeMux()
	probes.HandleFunc("GET /healthz", healthz)
	probes.HandleFunc("GET /readyz", s.ready)
	probes.Handle("/", newGuard(token, s.hosts, s.log).wrap(mux))
	return withHeaders(probes)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	err := s.store.db.PingContext(r.Context())
	if err == nil {
		err = s.unwritten()
	}
	if err != nil || stopping {
		writeError(w, http.StatusServiceUnavailable, cmp.Or(err, ErrStopping))
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

func (s *Server) postScan(w http.ResponseWriter, r *http.Request) {
	var req Request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: the body is over %d bytes", ErrBadRequest, tooBig.Limit))
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			writeError(w, http.StatusRequestTimeout, ErrSlowBody)
			return
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: %w", ErrBadRequest, err))
		return
	}
	sc, err := s.Submit(r.Context(), req)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	w.Header().Set("Location", "/v1/scans/"+sc.ID)
	writeJSON(w, http.StatusCreated, sc)
}

func (s *Server) listScans(w http.ResponseWriter, r *http.Request) {
	offset, err1 := intParam(r, "offset", 0)
	limit, err2 := intParam(r, "limit", 50)
	if err := errors.Join(err1, err2); err != nil || offset < 0 || limit < 1 || limit > 500 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: offset ≥ 0 and limit from 1 to 500: %v", ErrBadRequest, err))
		return
	}
	list, err := s.Scans(r.Context(), offset, limit)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scans": list, "offset": offset, "limit": limit})
}

func intParam(r *http.Request, name string, or int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return or, nil
	}
	return strconv.Atoi(v)
}

// Scans returns scans newest first, running ones as they are now, and
// ended ones as they ended even if the database has not taken it yet.
func (s *Server) Scans(ctx context.Context, offset, limit int) ([]*Scan, error) {
	running, ends := s.live()
	list, err := s.store.list(ctx, offset, limit)
	if err != nil {
		return nil, err
	}
	for i, sc := range list {
		if a := running[sc.ID]; a != nil {
			list[i] = s.view(a)
		} else if end := ends[sc.ID]; end != nil {
			list[i] = new(*end)
		}
	}
	return list, nil
}

// Get returns a scan, a running one as it is now, an ended one as it
// ended even if the database has not taken it yet.
func (s *Server) Get(ctx context.Context, id string) (*Scan, error) {
	running, ends := s.live()
	sc, err := s.store.get(ctx, id)
	switch {
	case running[id] != nil:
		return s.view(running[id]), nil
	case ends[id] != nil:
		return new(*ends[id]), nil
	case err != nil:
		return nil, err
	}
	return sc, nil
}

// running returns the running scans, read before the database: a scan
// writes its end to the database before it leaves them (or keeps it: see
// live), so a row read after is never older than the scan that left.
func (s *Server) running() map[string]*active {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.active)
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// Cancel stops a running scan in phases (its records are kept), or
// takes a queued one off the queue; either ends cancelled. A scan that
// has ended is ErrConflict.
func (s *Server) Cancel(ctx context.Context, id string) (*Scan, error) {
	s.mu.Lock()
	a := s.active[id]
	s.mu.Unlock()
	if a != nil {
		a.mu.Lock()
		state := a.scan.State
		a.mu.Unlock()
		if state.Ended() { // it has ended, and its end is being recorded
			return nil, fmt.Errorf("%w: scan %s is %s", ErrConflict, id, state)
		}
		a.stop(true)
		select {
		case <-a.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		sc, err := s.Get(ctx, id)
		if err == nil && sc.State == Queued { // its start failed: it is still in the queue
			return s.Cancel(ctx, id)
		}
		return sc, err
	}
	if _, ends := s.live(); ends[id] != nil {
		return nil, fmt.Errorf("%w: scan %s is %s", ErrConflict, id, ends[id].State)
	}
	s.queueMu.Lock()     // not started meanwhile
	if s.isRunning(id) { // it started before the lock
		s.queueMu.Unlock()
		return s.Cancel(ctx, id)
	}
	defer s.queueMu.Unlock()
	sc, err := s.store.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if sc.State != Queued && sc.State != Interrupted {
		return nil, fmt.Errorf("%w: scan %s is %s", ErrConflict, id, sc.State)
	}
	now := time.Now()
	sc.State, sc.Ended = Cancelled, &now
	return sc, s.store.update(ctx, sc)
}

func (s *Server) cancelScan(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// Delete removes a scan that has ended, its records with it.
func (s *Server) Delete(ctx context.Context, id string) error {
	sc, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if !sc.State.Ended() {
		return fmt.Errorf("%w: scan %s is %s: cancel it first", ErrConflict, id, sc.State)
	}
	if s.isRunning(id) {
		return fmt.Errorf("%w: scan %s is %s, its end not recorded yet: try again", ErrConflict, id, sc.State)
	}
	return s.remove(ctx, id)
}

func (s *Server) deleteScan(w http.ResponseWriter, r *http.Request) {
	if err := s.Delete(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getResults(w http.ResponseWriter, r *http.Request) {
	sc, err := s.store.get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", output.JSONL:
		w.Header().Set("Content-Type", "application/jsonl")
		s.streamRecords(r.Context(), w, sc.ID, r.URL.Query().Get("follow") == "1")
	case output.SARIF, output.Text:
		s.convertRecords(w, sc, format)
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: format %q: jsonl, sarif or text", ErrBadRequest, format))
	}
}

func (s *Server) isRunning(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[id] != nil
}

// convertRecords writes the scan's records in format, as the CLI writes
// them: read back from its JSON lines.
func (s *Server) convertRecords(w http.ResponseWriter, sc *Scan, format string) {
	out, err := output.New(w, format, output.Options{Roots: tree.Roots(sc.Request.Paths), Ignorable: []string{secrets.Name}})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if format == output.SARIF {
		w.Header().Set("Content-Type", "application/sarif+json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_ = s.eachRecord(sc.ID, func(rec record.Record) bool {
		out.Write(rec, nil)
		return true
	})
	_ = out.Close()
}

// eachRecord calls fn with each whole record of a scan's file.
func (s *Server) eachRecord(id string, fn func(record.Record) bool) error {
	f, err := os.Open(s.recordsPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var rec record.Record
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue // a line cut short by a crash: the next run drops it
		}
		if !fn(rec) {
			break
		}
	}
	return sc.Err()
}

// statusOf is the HTTP status of an error of the service.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrRemote):
		return http.StatusForbidden
	case errors.Is(err, ErrNoScan):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrQueueFull):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrStopping):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrHostNotServed):
		return http.StatusMisdirectedRequest
	case errors.Is(err, ErrCrossSite):
		return http.StatusForbidden
	case errors.Is(err, ErrMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrSlowBody):
		return http.StatusRequestTimeout
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
