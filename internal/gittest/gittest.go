// Package gittest builds git repositories for tests, with the real git:
// commits of files, branches and merges, renames, as a test names them.
// Dates and names are fixed, so that two builds of the same history
// have the same commits.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a repository a test builds.
type Repo struct {
	t    testing.TB
	Dir  string
	tick int
}

// New makes an empty repository in a temporary directory, on branch main.
func New(t testing.TB) *Repo {
	t.Helper()
	return At(t, t.TempDir())
}

// At makes an empty repository in dir (made if it is not there), on
// branch main.
func At(t testing.TB, dir string) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Git runs git in the repository and returns its output; a failure fails
// the test.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	out, err := r.Cmd(args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Cmd is git in the repository with a fixed author, committer and date
// (one second later at each commit).
func (r *Repo) Cmd(args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{"-C", r.Dir, "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"}, args...)...)
	date := "2024-01-01T00:00:00Z"
	if r.tick > 0 {
		date = "@" + itoa(1704067200+r.tick) + " +0000"
	}
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com",
		"GIT_COMMITTER_NAME=Ann Author", "GIT_COMMITTER_EMAIL=ann@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.Dir)
	return cmd
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// Write writes files (path → content; content "" removes the file).
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for name, text := range files {
		p := filepath.Join(r.Dir, name)
		if text == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Commit writes files, stages everything and commits it with msg,
// returning the commit's name.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	r.Write(files)
	r.Git("add", "-A")
	r.tick++
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Import adds n commits to branch main at once with git fast-import, far
// faster than n commits one by one: commit i (from 0) writes the files
// files(i) returns, on top of the one before.
func (r *Repo) Import(n int, files func(i int) map[string]string) {
	r.t.Helper()
	var s strings.Builder
	head, _ := r.Cmd("rev-parse", "--verify", "--quiet", "HEAD^{commit}").Output() // none in an empty repository
	parent := strings.TrimSpace(string(head))
	for i := range n {
		r.tick++
		when := itoa(1704067200+r.tick) + " +0000"
		msg := "commit " + itoa(i)
		s.WriteString("commit refs/heads/main\n")
		s.WriteString("author Ann Author <ann@example.com> " + when + "\n")
		s.WriteString("committer Ann Author <ann@example.com> " + when + "\n")
		s.WriteString("data " + itoa(len(msg)) + "\n" + msg + "\n")
		if i == 0 && parent != "" {
			s.WriteString("from " + parent + "\n")
		}
		for name, text := range files(i) {
			s.WriteString("M 100644 inline " + name + "\ndata " + itoa(len(text)) + "\n" + text + "\n")
		}
	}
	cmd := r.Cmd("fast-import", "--quiet")
	cmd.Stdin = strings.NewReader(s.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	r.Git("reset", "-q", "--hard", "main")
}
