package service_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// A scan the server died under (found running at a start) is carried on
// at most MaxCarryOns times; at the next death it ends failed, saying
// why, and stays so. A clean stop (found interrupted) does not count.
func TestCarryOnsBounded(t *testing.T) {
	cases := []struct {
		name    string
		max     int
		carried int  // crashes carried on
		fails   bool // at the next one
	}{
		{"the default", 0, 3, true},
		{"one", 1, 1, true},
		{"no limit", -1, 8, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, data := t.TempDir(), t.TempDir()
			cfg := service.Config{Data: data, Roots: []string{root}, MaxCarryOns: c.max}
			srv, err := service.New(context.Background(), cfg)
			require.NoError(t, err)
			sc, err := srv.Submit(context.Background(), service.Request{Paths: []string{root}, Scanners: []string{"marker"}})
			require.NoError(t, err)
			require.NoError(t, srv.Close())
			db := filepath.Join(data, "forkscan.db")

			setState(t, db, sc.ID, service.Interrupted) // stopped cleanly: does not count
			got := reopen(t, cfg, sc.ID)
			require.Equal(t, service.Queued, got.State)
			require.Equal(t, 1, got.Resumes)
			require.Zero(t, got.Crashes)
			for i := 1; i <= c.carried; i++ {
				setState(t, db, sc.ID, service.Running) // the server died under it
				resumes := got.Resumes
				got = reopen(t, cfg, sc.ID)
				require.Equal(t, service.Queued, got.State, "crash %d", i)
				require.Equal(t, i, got.Crashes)
				require.Equal(t, resumes+1, got.Resumes)
				if i == 1 {
					setState(t, db, sc.ID, service.Interrupted)
					got = reopen(t, cfg, sc.ID)
					require.Equal(t, 1, got.Crashes, "a clean stop between crashes does not count")
					require.Equal(t, resumes+2, got.Resumes)
				}
			}
			setState(t, db, sc.ID, service.Running)
			got = reopen(t, cfg, sc.ID)
			if !c.fails {
				require.Equal(t, service.Queued, got.State)
				return
			}
			require.Equal(t, service.Failed, got.State)
			require.Equal(t, c.carried+1, got.Crashes)
			require.Contains(t, got.Error, fmt.Sprintf("the server stopped under this scan too often: %d times; not carried on again", c.carried+1))
			require.NotNil(t, got.Ended)
			require.Equal(t, service.Failed, reopen(t, cfg, sc.ID).State, "a failed scan stays failed")
		})
	}
}

// reopen starts a server over cfg's data (not running it: New alone
// carries the scans on) and returns scan id as that start left it.
func reopen(t *testing.T, cfg service.Config, id string) service.Scan {
	t.Helper()
	srv, err := service.New(context.Background(), cfg)
	require.NoError(t, err)
	defer srv.Close()
	sc, err := srv.Get(context.Background(), id)
	require.NoError(t, err)
	return *sc
}

// setState sets scan id's state in the database at path, as a server
// stopped in that state would have left it.
func setState(t *testing.T, path, id string, state service.State) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("UPDATE scans SET state = ? WHERE id = ?", state, id)
	require.NoError(t, err)
}

// version1 is the schema of the first forkscan serve's database.
const version1 = `
CREATE TABLE scans (
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
CREATE INDEX scans_state ON scans(state);
`

// A database of the first version opens, brought up to date, its scans
// kept: one it was running is carried on, counted as a crash. So does
// one whose version was never set (a stop between making the table and
// setting it).
func TestOldDatabasesOpen(t *testing.T) {
	for _, version := range []int{1, 0} {
		t.Run(fmt.Sprint("version ", version), func(t *testing.T) {
			root, data := t.TempDir(), t.TempDir()
			path := filepath.Join(data, "forkscan.db")
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			_, err = db.Exec(version1)
			require.NoError(t, err)
			_, err = db.Exec("INSERT INTO scans (id, state, request, created, started, resumes) VALUES (?, ?, ?, ?, ?, 2)",
				"0123456789abcdef", service.Running, `{"paths": ["`+root+`"], "scanners": ["marker"]}`, time.Now().UnixNano(), time.Now().UnixNano())
			require.NoError(t, err)
			_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", version))
			require.NoError(t, err)
			require.NoError(t, db.Close())

			sc := reopen(t, service.Config{Data: data, Roots: []string{root}}, "0123456789abcdef")
			require.Equal(t, service.Queued, sc.State)
			require.Equal(t, 3, sc.Resumes)
			require.Equal(t, 1, sc.Crashes)
			require.Equal(t, []string{root}, sc.Request.Paths)
			db, err = sql.Open("sqlite", path)
			require.NoError(t, err)
			defer db.Close()
			var now int
			require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&now))
			require.Equal(t, 3, now)
		})
	}
}

// A scan carried on is checked against the roots again before it runs:
// a root dropped from the server's settings, or a path removed, ends it
// failed with the reason, nothing scanned.
func TestRootsCheckedAgainAtLaunch(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, root, path string) (newRoot string)
		says   string
	}{
		{"started with another root", func(t *testing.T, _, _ string) string { return filepath.Join(t.TempDir(), "other") }, "outside the roots"},
		{"the path removed", func(t *testing.T, root, path string) string {
			require.NoError(t, os.RemoveAll(path))
			return root
		}, "does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			f := start(t, service.Config{Data: data}, "")
			path := filepath.Join(f.root, "app")
			tree(t, path, numbered(400))
			id := f.submit(t, service.Request{Paths: []string{path}, Scanners: []string{"slow"}})
			waitUntil(t, "5 files done", func() bool { return f.get(t, id).Progress.FilesDone >= 5 })
			f.stop()
			before, err := os.ReadFile(filepath.Join(data, "scans", id+".jsonl"))
			require.NoError(t, err)

			g := startOver(t, service.Config{Data: data}, "", c.change(t, f.root, path))
			sc := g.wait(t, id)
			require.Equal(t, service.Failed, sc.State)
			require.Contains(t, sc.Error, "nothing scanned: its paths were checked again before it ran")
			require.Contains(t, sc.Error, c.says)
			after, err := os.ReadFile(filepath.Join(data, "scans", id+".jsonl"))
			require.NoError(t, err)
			require.Equal(t, before, after, "nothing scanned, nothing rewritten")
		})
	}
}

// A server whose root is / scans any path.
func TestRootSlash(t *testing.T) {
	f := start(t, service.Config{Roots: []string{"/"}}, "")
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	tree(t, dir, map[string]string{"a.txt": "SECRET\n", "sub/b.txt": "x\n"})
	id := f.submit(t, service.Request{Paths: []string{dir}})
	sc := f.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	got := f.results(t, id)
	require.Len(t, got, 2)
	require.Equal(t, dir, got["a.txt|marker"].Root)
	require.Len(t, got["a.txt|marker"].Findings, 1)
}
