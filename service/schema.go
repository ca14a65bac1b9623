package service

import (
	"context"
	"errors"
	"fmt"
)

// schemaVersion is the version of the database this forkscan writes,
// kept in SQLite's user_version. A database of a newer version is
// refused (ErrNewerData), never written over; an older one is brought
// up to this version at start (see upgrades).
const schemaVersion = 3

// ErrNewerData is a data directory whose database a newer forkscan made.
var ErrNewerData = errors.New("service: the data directory holds a database of a newer forkscan")

// upgrades[v] takes a database of version v to version v+1. A new
// database is version 0 and goes through every step; a change of the
// schema is a new step at the end and a schemaVersion one higher, never
// an edit of an old step: databases of every version must open.
var upgrades = []string{
	// 0 → 1: the scans.
	0: `
CREATE TABLE IF NOT EXISTS scans (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	id       TEXT NOT NULL UNIQUE,
	state    TEXT NOT NULL,
	request  TEXT NOT NULL,
	created  INTEGER NOT NULL,
	started  INTEGER NOT NULL DEFAULT 0,
	ended    INTEGER NOT NULL DEFAULT 0,
	resumes  INTEGER NOT NULL DEFAULT 0,
	error    TEXT NOT NULL DEFAULT '',
	progress TEXT NOT NULL DEFAULT '{}',
	summary  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS scans_state ON scans(state);
`,
	// 1 → 2: crashes, the times the server stopped under a scan
	// uncleanly (Config.MaxCarryOns).
	1: `ALTER TABLE scans ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;`,
	// 2 → 3: the summary as fields (Scan.Summary), beside its text in
	// summary; '' for a scan that ended before, whose summary is text only.
	2: `ALTER TABLE scans ADD COLUMN summary_fields TEXT NOT NULL DEFAULT '';`,
}

// migrate brings the database to schemaVersion, one step at a time, each
// step and its version in one transaction: a stop in the middle leaves
// the database at one version or the next, never between.
func (s *store) migrate(ctx context.Context) error {
	version, err := s.version(ctx)
	if err != nil {
		return fmt.Errorf("reading the database: %w", err)
	}
	if version > schemaVersion {
		return fmt.Errorf("%w (its version %d, this forkscan's %d)", ErrNewerData, version, schemaVersion)
	}
	for v := version; v < schemaVersion; v++ {
		if err := s.step(ctx, v); err != nil {
			return fmt.Errorf("bringing the database from version %d to %d: %w", v, v+1, err)
		}
	}
	return nil
}

// version is the database's schema version. The first forkscan set it
// after making the table, not with it: a table without a version is of
// version 1.
func (s *store) version(ctx context.Context) (int, error) {
	var version, tables int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, err
	}
	if version > 0 {
		return version, nil
	}
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'scans'").Scan(&tables)
	return min(tables, 1), err
}

// step takes the database from version v to v+1.
func (s *store) step(ctx context.Context, v int) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, upgrades[v]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	return tx.Commit()
}
