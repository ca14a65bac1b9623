package history_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/testwait"
)

func list(t *testing.T, r *history.Repo, revs history.Revisions) []history.Commit {
	t.Helper()
	var got []history.Commit
	if _, err := r.List(context.Background(), revs, func(c history.Commit) bool { got = append(got, c); return true }); err != nil {
		t.Fatal(err)
	}
	return got
}

func open(t *testing.T, dir string) *history.Repo {
	t.Helper()
	r, err := history.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestListAndRead(t *testing.T) {
	g := gittest.New(t)
	first := g.Commit("first", map[string]string{"a.txt": "one\ntwo\n", "big.txt": strings.Repeat("x\n", 1000)})
	second := g.Commit("second\n\nbody", map[string]string{"a.txt": "one\nkey=1\ntwo\n", "b.txt": "bee"})
	g.Git("mv", "b.txt", "c.txt")
	renamed := g.Commit("rename", nil)
	deleted := g.Commit("delete", map[string]string{"big.txt": ""})
	r := open(t, g.Dir)
	got := list(t, r, nil)
	if len(got) != 3 || got[0].ID != renamed || got[1].ID != second || got[2].ID != first {
		t.Fatalf("List = %+v, want rename, second, first (the deletion writes nothing): %s", got, deleted)
	}
	if got[2].Files != 2 || got[2].Size != 2008 || got[2].Largest != 2000 {
		t.Errorf("first = %+v", got[2])
	}
	rd := history.NewReader(r.Dir, 1<<20, history.Split{})
	defer rd.Close()
	p, err := rd.Read(context.Background(), history.Job{Commit: second})
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta == nil || p.Meta.ID != second || p.Meta.Author != "Ann Author" || p.Meta.Email != "ann@example.com" || p.Meta.Subject != "second" {
		t.Fatalf("meta = %+v", p.Meta)
	}
	want := []history.Change{{Path: "a.txt", Line: 2, Text: []byte("key=1\n")}, {Path: "b.txt", Line: 1, Text: []byte("bee")}}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("changes = %+v, want %+v", p.Changes, want)
	}
	if p, err = rd.Read(context.Background(), history.Job{Commit: renamed}); err != nil || len(p.Changes) != 0 {
		t.Fatalf("a pure rename adds nothing: %+v, %v", p, err)
	}
	if p, err = rd.Read(context.Background(), history.Job{Commit: deleted}); err != nil || p.Meta != nil || len(p.Changes) != 0 {
		t.Fatalf("a deletion adds nothing: %+v, %v", p, err)
	}
}

// TestListManyFiles: a commit of more files than the listing holds
// queued, with more names than one write to cat-file carries, is counted
// whole, and so are its neighbours (names are asked in batches, and
// flushed before the listing could wait), by a git that has cat-file's
// --batch-command and by one too old for it.
func TestListManyFiles(t *testing.T) {
	g := gittest.New(t)
	before := g.Commit("before", map[string]string{"a.txt": "a\n"})
	files := map[string]string{}
	var size int64
	for i := range 3000 {
		text := strings.Repeat("x", i%50) + "\n"
		files[fmt.Sprintf("d%d/f%04d.txt", i%7, i)] = text
		size += int64(len(text))
	}
	many := g.Commit("many", files)
	after := g.Commit("after", map[string]string{"a.txt": "a\nb\n"})
	want := []history.Commit{{ID: after, Files: 1, Size: 4, Largest: 4}, {ID: many, Files: 3000, Size: size, Largest: 50}, {ID: before, Files: 1, Size: 2, Largest: 2}}
	for _, tc := range []struct{ version, mode string }{
		{"", "--batch-command=%(objectsize)"},
		{"git version 2.35.1", "--batch-check=%(objectsize)"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			calls := gitSaying(t, tc.version)
			r := open(t, g.Dir)
			listed := make(chan []history.Commit, 1)
			go func() {
				var got []history.Commit
				_, err := r.List(context.Background(), nil, func(c history.Commit) bool { got = append(got, c); return true })
				if err != nil {
					got = nil
				}
				listed <- got
			}()
			got := testwait.Chan(t, time.Minute, "the listing to end (else it waits for sizes it never asked)", listed)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("List = %+v\nwant %+v", got, want)
			}
			if log, _ := os.ReadFile(calls); !strings.Contains(string(log), "cat-file "+tc.mode) {
				t.Fatalf("cat-file was not run %s; the gits run:\n%s", tc.mode, log)
			}
			for stop := range 2 { // stopped by its caller at the first commit, or the second (the many files')
				n := 0
				if _, err := r.List(context.Background(), nil, func(history.Commit) bool { n++; return n <= stop }); err != nil || n != stop+1 {
					t.Fatalf("stopped after %d commits: %d listed, %v (a stop is not a failure)", stop+1, n, err)
				}
			}
		})
	}
}

// gitSaying makes the package run git through a script that logs each
// call to the file it returns and, asked its version, says version (if
// set) instead of git's.
func gitSaying(t *testing.T, version string) string {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$*\" >> '" + calls + "'\n"
	if version != "" {
		script += "for a in \"$@\"; do [ \"$a\" = version ] && echo '" + version + "' && exit 0; done\n"
	}
	script += "exec '" + real + "' \"$@\"\n"
	prog := filepath.Join(dir, "git")
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := history.Program
	history.Program = prog
	t.Cleanup(func() { history.Program = old })
	return calls
}

func TestParts(t *testing.T) {
	g := gittest.New(t)
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files[n+".txt"] = strings.Repeat(n+"\n", 100)
	}
	files["huge.txt"] = strings.Repeat("h\n", 5000)
	c := g.Commit("many", files)
	r := open(t, g.Dir)
	commits := list(t, r, nil)
	split := history.Split{Bytes: 400, MaxFile: 5000}
	jobs := split.Jobs(commits[0])
	if len(jobs) != 6 {
		t.Fatalf("jobs = %v", jobs)
	}
	rd := history.NewReader(r.Dir, 1<<20, split)
	defer rd.Close()
	seen := map[string]int{}
	for _, j := range jobs {
		if j.Commit != c {
			t.Fatal(j)
		}
		back, err := history.ParseJob(j.String())
		if err != nil || back != j {
			t.Fatalf("ParseJob(%q) = %v, %v", j, back, err)
		}
		p, err := rd.Read(context.Background(), j)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range p.Changes {
			seen[ch.Path]++
		}
		if len(p.Notes) != 1 || p.Notes[0].Path != "huge.txt" {
			t.Errorf("notes = %v", p.Notes)
		}
	}
	if len(seen) != 5 || seen["huge.txt"] != 0 {
		t.Fatalf("each file in one part, the huge one in none: %v", seen)
	}
}

func TestPending(t *testing.T) {
	g := gittest.New(t)
	rd := func() *history.Reader { return history.NewReader(open(t, g.Dir).Dir, 1<<20, history.Split{}) }
	g.Write(map[string]string{"new.txt": "token=abc\n"})
	g.Git("add", "new.txt")
	r := rd()
	defer r.Close()
	p, err := r.Read(context.Background(), history.Job{Commit: history.Staged})
	if err != nil || len(p.Changes) != 1 || string(p.Changes[0].Text) != "token=abc\n" {
		t.Fatalf("staged, no commit yet: %+v, %v", p, err)
	}
	g.Commit("one", nil)
	g.Write(map[string]string{"new.txt": "token=abc\nmore=1\n"})
	g.Git("config", "filter.evil.clean", "touch "+g.Dir+"/ran")
	g.Write(map[string]string{".gitattributes": "*.txt filter=evil\n"})
	p, err = r.Read(context.Background(), history.Job{Commit: history.Uncommitted})
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Line != 2 || string(p.Changes[0].Text) != "more=1\n" {
		t.Fatalf("uncommitted: %+v, %v", p, err)
	}
	if _, err := g.Cmd("ls-files", "--error-unmatch", "ran").Output(); err == nil {
		t.Fatal("the repository's filter ran")
	}
	if out, _ := g.Cmd("status", "--porcelain", "--ignored").Output(); strings.Contains(string(out), "ran") {
		t.Fatal("the repository's clean filter ran")
	}
}

func TestRefused(t *testing.T) {
	g := gittest.New(t)
	g.Commit("one", map[string]string{"a": "a"})
	for _, bad := range []string{"--output=/tmp/x", "--ext-diff", "-c", "--stdin", "--", "-p", "--exec=x", "--upload-pack=x"} {
		if _, err := history.ParseRevisions("main " + bad); !errors.Is(err, history.ErrRevisions) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, good := range []string{"main~1..main", "--since=2020-01-01 --all", "-n5 main", "-3", "--branches=ma* --not main"} {
		if _, err := history.ParseRevisions(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	r := open(t, g.Dir)
	revs, _ := history.ParseRevisions("nosuchref..main")
	if _, err := r.List(context.Background(), revs, func(history.Commit) bool { return true }); !errors.Is(err, history.ErrRevisions) {
		t.Errorf("a ref that does not resolve: %v", err)
	}
	if _, err := history.Open(context.Background(), t.TempDir()); !errors.Is(err, history.ErrNotRepository) {
		t.Errorf("not a repository: %v", err)
	}
}

// TestReached: of the commits asked about, Reached returns those the
// revisions reach, the same commits List reads: every ref's by default,
// a range's, a boundary's ("-" before its name) not; a revision git
// rejects is its error, and an ended context ends it.
func TestReached(t *testing.T) {
	g := gittest.New(t)
	first := g.Commit("first", map[string]string{"a": "1"})
	second := g.Commit("second", map[string]string{"a": "2"})
	main := strings.TrimSpace(g.Git("rev-parse", "--abbrev-ref", "HEAD"))
	g.Git("checkout", "-q", "-b", "side")
	side := g.Commit("side", map[string]string{"b": "1"})
	g.Git("checkout", "-q", main)
	r := open(t, g.Dir)
	all := map[string]bool{first: true, second: true, side: true, strings.Repeat("0", 40): true}
	cases := []struct {
		revs string
		want map[string]bool
	}{
		{"", map[string]bool{first: true, second: true, side: true}},
		{main, map[string]bool{first: true, second: true}},
		{main + "~1.." + main, map[string]bool{second: true}},
		{"--boundary " + main + "~1.." + main, map[string]bool{second: true, first: true}},
		{"side --not " + main, map[string]bool{side: true}},
	}
	for _, c := range cases {
		revs, err := history.ParseRevisions(c.revs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Reached(context.Background(), revs, all)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %v, %v; want %v", c.revs, got, err, c.want)
		}
		listed := map[string]bool{}
		for _, cm := range list(t, r, revs) {
			listed[cm.ID] = true
		}
		if !strings.Contains(c.revs, "--boundary") && !reflect.DeepEqual(listed, c.want) {
			t.Errorf("%q: List reads %v, Reached says %v", c.revs, listed, c.want)
		}
	}
	revs, _ := history.ParseRevisions("nosuchref")
	if _, err := r.Reached(context.Background(), revs, all); !errors.Is(err, history.ErrGit) {
		t.Errorf("a ref that does not resolve: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Reached(ctx, nil, all); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
}

// TestReaderConcurrent: reads from many goroutines at once each get their
// own commit's patch; a read whose context ends, and a commit git cannot
// read, fail alone, and the reads queued behind them ask a new git.
func TestReaderConcurrent(t *testing.T) {
	g := gittest.New(t)
	var ids []string
	g.Import(60, func(i int) map[string]string {
		return map[string]string{fmt.Sprintf("f%d.txt", i%7): fmt.Sprintf("commit %d\n", i)}
	})
	for _, c := range strings.Fields(g.Git("rev-list", "--reverse", "main")) {
		ids = append(ids, c)
	}
	broken := g.Commit("broken", map[string]string{"gone.txt": "soon gone\n"})
	obj := g.Git("rev-parse", broken+":gone.txt")
	for _, p := range []string{filepath.Join(g.Dir, ".git", "objects", obj[:2], obj[2:]), filepath.Join(g.Dir, "gone.txt")} {
		if err := os.Remove(p); err != nil { // git would take the work tree's copy for the object
			t.Fatal(err)
		}
	}
	rd := history.NewReader(open(t, g.Dir).Dir, 1<<20, history.Split{})
	defer rd.Close()
	for round := range 3 {
		var wg sync.WaitGroup
		for i, c := range ids {
			wg.Go(func() {
				ctx := context.Background()
				if i%17 == 5 && round == 1 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					cancel()
				}
				p, err := rd.Read(ctx, history.Job{Commit: c})
				switch {
				case ctx.Err() != nil:
					return
				case err != nil:
					t.Errorf("commit %d: %v", i, err)
				case p.Meta == nil || p.Meta.ID != c || len(p.Changes) != 1 || string(p.Changes[0].Text) != fmt.Sprintf("commit %d\n", i):
					t.Errorf("commit %d: %+v", i, p)
				}
			})
			if i == 30 {
				wg.Go(func() {
					if _, err := rd.Read(context.Background(), history.Job{Commit: broken}); !errors.Is(err, history.ErrGit) || !strings.Contains(err.Error(), obj) {
						t.Errorf("the broken commit: %v", err)
					}
				})
			}
		}
		wg.Wait()
	}
}
