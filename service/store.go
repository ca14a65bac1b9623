package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite": pure Go, no cgo
)

// updateFault, when set, is asked before each update of a scan's row,
// and an error it returns is the update's: the seam through which tests
// make the database refuse a write. Nil in the product.
var updateFault atomic.Pointer[func(*Scan) error]

// store keeps the scans' state in SQLite. Records are not in it: they
// are in each scan's JSON lines file, as the CLI writes them.
type store struct{ db *sql.DB }

func openStore(ctx context.Context, path string) (*store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8) // readers side by side (WAL); writers take turns (busy_timeout)
	s := &store{db}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) close() error { return s.db.Close() }

const columns = "id, state, request, created, started, ended, resumes, crashes, error, progress, summary, summary_fields"

func (s *store) insert(ctx context.Context, sc *Scan) error {
	req, err := json.Marshal(sc.Request)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO scans (id, state, request, created) VALUES (?, ?, ?, ?)",
		sc.ID, sc.State, string(req), sc.Created.UnixNano())
	return err
}

// update writes what changes of a scan as it goes.
func (s *store) update(ctx context.Context, sc *Scan) error {
	if fault := updateFault.Load(); fault != nil {
		if err := (*fault)(sc); err != nil {
			return err
		}
	}
	prog, err := json.Marshal(sc.Progress)
	if err != nil {
		return err
	}
	var fields []byte
	if sc.Summary != nil {
		if fields, err = json.Marshal(sc.Summary); err != nil {
			return err
		}
	}
	_, err = s.db.ExecContext(ctx, "UPDATE scans SET state = ?, started = ?, ended = ?, resumes = ?, crashes = ?, error = ?, progress = ?, summary = ?, summary_fields = ? WHERE id = ?",
		sc.State, nanos(sc.Started), nanos(sc.Ended), sc.Resumes, sc.Crashes, sc.Error, string(prog), sc.SummaryText, string(fields), sc.ID)
	return err
}

func (s *store) delete(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM scans WHERE id = ?", id)
	return err
}

func (s *store) get(ctx context.Context, id string) (*Scan, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+columns+" FROM scans WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	list, err := scanRows(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNoScan
	}
	return list[0], nil
}

// list returns scans newest first: limit of them after skipping offset.
func (s *store) list(ctx context.Context, offset, limit int) ([]*Scan, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+columns+" FROM scans ORDER BY seq DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}

// inStates returns the scans in any of states, oldest first.
func (s *store) inStates(ctx context.Context, states ...State) ([]*Scan, error) {
	var out []*Scan
	for _, st := range states {
		rows, err := s.db.QueryContext(ctx, "SELECT "+columns+" FROM scans WHERE state = ? ORDER BY seq", st)
		if err != nil {
			return nil, err
		}
		list, err := scanRows(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// endedBefore returns the ids of the scans that ended before t.
func (s *store) endedBefore(ctx context.Context, t time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM scans WHERE ended > 0 AND ended < ?", t.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// counts returns the number of scans in each state.
func (s *store) counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM scans GROUP BY state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

func scanRows(rows *sql.Rows) ([]*Scan, error) {
	defer rows.Close()
	var out []*Scan
	for rows.Next() {
		var sc Scan
		var req, prog, fields string
		var created, started, ended int64
		if err := rows.Scan(&sc.ID, &sc.State, &req, &created, &started, &ended, &sc.Resumes, &sc.Crashes, &sc.Error, &prog, &sc.SummaryText, &fields); err != nil {
			return nil, err
		}
		if fields != "" {
			sc.Summary = new(Summary)
			if err := json.Unmarshal([]byte(fields), sc.Summary); err != nil {
				return nil, fmt.Errorf("scan %s: its summary: %w", sc.ID, err)
			}
		}
		if err := json.Unmarshal([]byte(req), &sc.Request); err != nil {
			return nil, fmt.Errorf("scan %s: its request: %w", sc.ID, err)
		}
		if err := json.Unmarshal([]byte(prog), &sc.Progress); err != nil {
			return nil, fmt.Errorf("scan %s: its progress: %w", sc.ID, err)
		}
		sc.Created, sc.Started, sc.Ended = time.Unix(0, created), timeOf(started), timeOf(ended)
		out = append(out, &sc)
	}
	return out, rows.Err()
}

func nanos(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

func timeOf(n int64) *time.Time {
	if n == 0 {
		return nil
	}
	t := time.Unix(0, n)
	return &t
}
