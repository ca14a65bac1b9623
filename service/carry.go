package service

import (
	"context"
	"fmt"
	"time"
)

// requeue queues again the scans a stopped server left running or
// interrupted: each is carried on from its records (the queued ones stay
// queued). A scan found running was under a server that died: that stop
// counts against Config.MaxCarryOns, and one too many ends the scan
// failed (ErrTooManyStops). A scan found interrupted was stopped cleanly
// and does not count. A scan found running with a note of its end beside
// its records (see recordEnd) had ended, or was interrupted, and the
// database did not take it: it ends as the note says, and does not count
// either.
func (s *Server) requeue(ctx context.Context) error {
	left, err := s.store.inStates(ctx, Running, Interrupted)
	if err != nil {
		return err
	}
	for _, sc := range left {
		crashed := sc.State == Running
		if end, ok := s.readEndNote(sc.ID); ok && crashed {
			sc, crashed = end, false
		}
		switch {
		case sc.State.Ended():
			s.log.Info("scan ended before the server stopped; its end written now", "id", sc.ID, "state", sc.State)
		case crashed && s.cfg.MaxCarryOns >= 0 && sc.Crashes >= s.cfg.MaxCarryOns:
			now := time.Now()
			sc.State, sc.Ended, sc.Crashes = Failed, &now, sc.Crashes+1
			sc.Error = fmt.Sprintf("%v: %d times; not carried on again (at most %d carry-ons after a crash)",
				ErrTooManyStops, sc.Crashes, s.cfg.MaxCarryOns)
			s.log.Warn("scan not carried on: the server stopped under it too often", "id", sc.ID, "stops", sc.Crashes)
		default:
			sc.State, sc.Resumes = Queued, sc.Resumes+1
			if crashed {
				sc.Crashes++
			}
			s.log.Info("scan carried on after a stop", "id", sc.ID, "resumes", sc.Resumes, "crashes", sc.Crashes)
		}
		if err := s.store.update(ctx, sc); err != nil {
			return err
		}
		if sc.State == Failed && crashed {
			s.metrics.ended(Failed)
		}
		s.removeEndNote(sc.ID)
	}
	return nil
}
