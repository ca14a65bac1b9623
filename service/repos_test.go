package service_test

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/service"
)

// gitServer serves the bare repositories under dir over HTTP with git's
// own http-backend, on 127.0.0.1.
func gitServer(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	git := realtool.Need(t, "git") // skipped without git, but in CI
	h := &cgi.Handler{Path: git, Args: []string{"http-backend"}, Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestRepositoryScans: a scan of two histories, one in a root and one a
// remote the server clones, finds what each adds, reports its progress
// per repository, and leaves no clone behind.
func TestRepositoryScans(t *testing.T) {
	remotes := t.TempDir()
	up := gittest.New(t)
	up.Commit("one", map[string]string{"a.txt": "SECRET\n"})
	up.Commit("two", map[string]string{"a.txt": "SECRET\nx\nSECRET\n"})
	out, err := exec.Command("git", "clone", "-q", "--bare", up.Dir, filepath.Join(remotes, "up.git")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	web := gitServer(t, remotes)

	data := filepath.Join(t.TempDir(), "data")
	f := start(t, service.Config{Data: data, GitRemotes: []string{"http://127.0.0.1:*/**"}}, "")
	local := gittest.At(t, filepath.Join(f.root, "repo"))
	local.Commit("first", map[string]string{"b.txt": "nothing\n"})
	local.Commit("second", map[string]string{"b.txt": "nothing\nSECRET\n"})

	id := f.submit(t, service.Request{Repositories: []service.Repository{
		{Path: filepath.Join(f.root, "repo")},
		{URL: web.URL + "/up.git", Revisions: "--all"},
	}})
	sc := f.wait(t, id)
	require.Equal(t, service.Done, sc.State, sc.Error)
	require.Equal(t, 3, sc.Progress.Findings, "one in the local history, two in the remote's (the second commit adds one)")
	require.Len(t, sc.Progress.Repositories, 2)
	for _, p := range sc.Progress.Repositories {
		require.True(t, p.Listed, "%+v", p)
		require.Equal(t, int64(2), p.Commits, "%+v", p)
		require.Equal(t, int64(2), p.Done, "%+v", p)
	}
	require.Equal(t, web.URL+"/up.git", sc.Progress.Repositories[1].Repository)
	got := f.results(t, id)
	require.Len(t, got, 4)
	for _, r := range got {
		require.NotNil(t, r.Commit, "%+v", r)
		require.Equal(t, "Ann Author", r.Commit.Author)
	}
	require.NoDirExists(t, filepath.Join(data, "clones", id), "the clone is removed with the scan's end")
	require.DirExists(t, filepath.Join(data, "scans"))
}

// TestRepositoryRefusals: what a request may not name as a repository.
func TestRepositoryRefusals(t *testing.T) {
	f := start(t, service.Config{GitRemotes: []string{"https://git.example.com/acme/**"}}, "")
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "plain"), 0o755))
	outside := gittest.New(t)
	for _, tc := range []struct {
		name string
		repo service.Repository
		code int
		want string
	}{
		{"file URL", service.Repository{URL: "file:///etc"}, http.StatusForbidden, "only https, http, ssh, git"},
		{"ext command", service.Repository{URL: "ext::sh -c touch% /tmp/pwned"}, http.StatusBadRequest, "not a URL"},
		{"local path as URL", service.Repository{URL: "/srv/repo.git"}, http.StatusForbidden, "only https"},
		{"option", service.Repository{URL: "--upload-pack=touch /tmp/x"}, http.StatusBadRequest, "not a URL"},
		{"not allowed", service.Repository{URL: "https://git.example.com/other/repo.git"}, http.StatusForbidden, "may not clone"},
		{"password", service.Repository{URL: "https://u:pw@git.example.com/acme/r.git"}, http.StatusBadRequest, "password"},
		{"outside the roots", service.Repository{Path: outside.Dir}, http.StatusForbidden, "outside the roots"},
		{"not a repository", service.Repository{Path: filepath.Join(f.root, "plain")}, http.StatusBadRequest, "not a git repository"},
		{"both", service.Repository{Path: f.root, URL: "https://git.example.com/acme/r.git"}, http.StatusBadRequest, "a path or a URL"},
		{"revisions", service.Repository{URL: "https://git.example.com/acme/r.git", Revisions: "--output=/tmp/x"}, http.StatusBadRequest, "not a revision argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.do(t, "POST", "/v1/scans", service.Request{Repositories: []service.Repository{tc.repo}})
			require.Equal(t, tc.code, code, "%s", body)
			require.Contains(t, strings.ToLower(string(body)), strings.ToLower(tc.want))
		})
	}
	code, body := f.do(t, "POST", "/v1/scans", service.Request{Paths: []string{f.root}, Repositories: []service.Repository{{Path: f.root}}})
	require.Equal(t, http.StatusBadRequest, code, "%s", body)
}
