package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"
)

// The end of a scan (done, failed, cancelled, or interrupted by the
// server's stop) is the one write the server cannot do without: a row
// left running would answer 409 to cancel and delete, and the next start
// would count it as a crash (Config.MaxCarryOns). So it is tried
// endTries times, endBackoff apart and doubling (100, 200, 400 and
// 800ms: 1.5s in all); if the database still refuses it, it is kept in
// memory, where Get, Scans, Cancel and Delete answer from it and /readyz
// reports it (ErrEndNotWritten), and in a note beside the scan's records
// (scans/ID.end). Run offers it to the database again every endsEvery,
// and once more when it stops; the next start writes the note into the
// database if it is still needed. A note that cannot be written either
// (the disk is full, say) leaves only the row, running: the next start
// counts that as a crash and carries the scan on, its records kept.
const (
	endTries   = 5
	endBackoff = 100 * time.Millisecond
	endsEvery  = 2 * time.Second
)

// recordEnd writes the end of a scan, or keeps it (see above).
func (s *Server) recordEnd(ctx context.Context, sc *Scan) {
	err := s.store.update(ctx, sc)
	for i := 1; i < endTries && err != nil; i++ {
		s.log.Warn("the database did not take the end of a scan; trying again", "id", sc.ID, "state", sc.State, "error", err)
		time.Sleep(endBackoff << (i - 1))
		err = s.store.update(ctx, sc)
	}
	if err == nil {
		return
	}
	s.log.Error("the database did not take the end of a scan; kept in memory and beside its records", "id", sc.ID, "state", sc.State, "error", err)
	if nerr := s.writeEndNote(sc); nerr != nil {
		s.log.Error("noting the end of a scan beside its records", "id", sc.ID, "error", nerr)
	}
	s.mu.Lock()
	s.ends[sc.ID], s.endErr = sc, err
	s.mu.Unlock()
}

// writeEnds offers the ends kept in memory to the database once more;
// those it takes are forgotten, with their notes.
func (s *Server) writeEnds(ctx context.Context) {
	s.mu.Lock()
	ends := maps.Clone(s.ends)
	s.mu.Unlock()
	for id, sc := range ends {
		if err := s.store.update(ctx, sc); err != nil {
			s.mu.Lock()
			s.endErr = err
			s.mu.Unlock()
			continue
		}
		s.log.Info("the database took the end of a scan at last", "id", id, "state", sc.State)
		s.forgetEnd(id)
	}
}

// forgetEnd drops a scan's end kept in memory, and its note.
func (s *Server) forgetEnd(id string) {
	s.mu.Lock()
	delete(s.ends, id)
	if len(s.ends) == 0 {
		s.endErr = nil
	}
	s.mu.Unlock()
	s.removeEndNote(id)
}

// live returns the running scans and the ends kept in memory, read
// together and before the database: a scan leaves the running ones only
// once its end is in the database or kept, and a kept end leaves memory
// only once the database has it, so a row read after them is never
// older than a scan that is in neither.
func (s *Server) live() (map[string]*active, map[string]*Scan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.active), maps.Clone(s.ends)
}

// unwritten is ErrEndNotWritten if the database has not taken every end
// yet, nil if it has.
func (s *Server) unwritten() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ends) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d kept in memory until it does: %w", ErrEndNotWritten, len(s.ends), s.endErr)
}

func (s *Server) endNotePath(id string) string {
	return filepath.Join(s.cfg.Data, "scans", id+".end")
}

// writeEndNote writes the end of a scan beside its records, through a
// temporary file and a rename: a note is whole or absent.
func (s *Server) writeEndNote(sc *Scan) error {
	data, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	tmp := s.endNotePath(sc.ID) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.endNotePath(sc.ID))
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// readEndNote reads the end a note beside a scan's records keeps, if it
// has one that is whole and its own.
func (s *Server) readEndNote(id string) (*Scan, bool) {
	data, err := os.ReadFile(s.endNotePath(id))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("reading the note of a scan's end", "id", id, "error", err)
		}
		return nil, false
	}
	var sc Scan
	if err := json.Unmarshal(data, &sc); err != nil || sc.ID != id {
		s.log.Warn("a note of a scan's end that is not one; ignored", "id", id, "error", err)
		return nil, false
	}
	sc.Workers = nil
	return &sc, true
}

// removeEndNote removes the note beside a scan's records, if any.
func (s *Server) removeEndNote(id string) {
	if err := os.Remove(s.endNotePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("removing the note of a scan's end", "id", id, "error", err)
	}
}

// counts returns the number of scans in each state, an end kept in
// memory counted as it ended rather than as the running its row says.
func (s *Server) counts(ctx context.Context) (map[State]int, error) {
	_, ends := s.live()
	counts, err := s.store.counts(ctx)
	if err != nil {
		return nil, err
	}
	for _, end := range ends {
		if counts[Running] > 0 {
			counts[Running]--
			counts[end.State]++
		}
	}
	return counts, nil
}
