package service_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// A scan whose end the database refuses is not left running: the server
// answers from the end it keeps (get, list, cancel, delete), /readyz
// says what is wrong, and the end is written when the database takes it
// again, or by the next start, which does not count it as a crash.
func TestEndKeptWhenTheDatabaseRefuses(t *testing.T) {
	refused := errors.New("disk I/O error")
	refuseEnds := func() (heal func()) {
		return service.FailUpdates(func(sc *service.Scan) error {
			if sc.State.Ended() {
				return refused
			}
			return nil
		})
	}
	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data}, "")
	tree(t, f.root, map[string]string{"a": "SECRET\n", "b": "x\n"})
	heal := refuseEnds()
	defer heal()

	id := f.submit(t, service.Request{Paths: []string{f.root}})
	require.Equal(t, service.Done, f.wait(t, id).State)
	f.waitReady(t, "1 kept in memory")
	code, body := f.do(t, "GET", "/v1/scans", nil)
	require.Equal(t, http.StatusOK, code)
	var list struct{ Scans []service.Scan }
	require.NoError(t, json.Unmarshal(body, &list))
	require.Equal(t, service.Done, list.Scans[0].State)
	code, body = f.do(t, "POST", "/v1/scans/"+id+"/cancel", nil)
	require.Equal(t, http.StatusConflict, code, "%s", body)
	require.Contains(t, string(body), "is done")
	code, body = f.do(t, "GET", "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, string(body), "the database did not take the end of a scan")
	require.Contains(t, string(body), refused.Error())
	code, body = f.do(t, "GET", "/v1/stats", nil)
	require.Equal(t, http.StatusOK, code)
	var st service.Stats
	require.NoError(t, json.Unmarshal(body, &st))
	require.Equal(t, 1, st.Scans[service.Done], "counted as it ended")
	require.Zero(t, st.Scans[service.Running])

	gone := f.submit(t, service.Request{Paths: []string{f.root}})
	require.Equal(t, service.Done, f.wait(t, gone).State)
	f.waitReady(t, "2 kept in memory")
	code, body = f.do(t, "DELETE", "/v1/scans/"+gone, nil)
	require.Equal(t, http.StatusNoContent, code, "%s", body)
	code, _ = f.do(t, "GET", "/v1/scans/"+gone, nil)
	require.Equal(t, http.StatusNotFound, code)

	// Stopped with the end still refused: the next start writes it.
	f.stop()
	heal()
	g := startOver(t, service.Config{Data: data}, "", f.root)
	sc := g.get(t, id)
	require.Equal(t, service.Done, sc.State)
	require.Zero(t, sc.Resumes, "not carried on")
	require.Zero(t, sc.Crashes, "not counted as a crash")
	require.Len(t, g.results(t, id), 2)
	code, _ = g.do(t, "GET", "/readyz", nil)
	require.Equal(t, http.StatusOK, code)
	require.NoFileExists(t, filepath.Join(data, "scans", id+".end"))

	// Refused while the server runs, then taken: written at the next chance.
	heal = refuseEnds()
	later := g.submit(t, service.Request{Paths: []string{f.root}})
	require.Equal(t, service.Done, g.wait(t, later).State)
	g.waitReady(t, "1 kept in memory")
	heal()
	g.waitReady(t, "ready")
	g.stop()
	db, err := sql.Open("sqlite", filepath.Join(data, "forkscan.db"))
	require.NoError(t, err)
	defer db.Close()
	var state string
	require.NoError(t, db.QueryRow("SELECT state FROM scans WHERE id = ?", later).Scan(&state))
	require.Equal(t, string(service.Done), state)
	require.NoFileExists(t, filepath.Join(data, "scans", later+".end"))
}

// waitReady polls /readyz until its answer says want.
func (f *fixture) waitReady(t *testing.T, want string) {
	t.Helper()
	waitUntil(t, "/readyz to say "+want, func() bool {
		_, body := f.do(t, "GET", "/readyz", nil)
		return strings.Contains(string(body), want)
	})
}
