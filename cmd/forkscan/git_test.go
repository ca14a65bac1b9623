package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/record"
)

// secretHistory builds a history with planted secrets in the shapes a
// history takes: added then removed, moved in a file, renamed with a
// change, copied, on two branches merged, behind a tag only, in a binary
// file, in a file only deleted, under a name and a message that are not
// UTF-8, in an empty commit's neighbours, and in a commit of more files
// than one job takes (split in parts). It returns the secrets.
func secretHistory(t *testing.T, g *gittest.Repo) map[string]string {
	t.Helper()
	s := plant(rand.New(rand.NewPCG(25, 2026)))
	line := func(rule string) string { return fmt.Sprintf("token = %q\n", s[rule]) }
	g.Commit("first", map[string]string{"README.md": "hello\n", "app/app.env": "# app\n" + line("aws-access-token") + "x = 1\n"})
	g.Commit("second: a secret moves down, another comes", map[string]string{"app/app.env": "# app\nx = 1\n\n" + line("aws-access-token") + line("github-pat")})
	body := "# app\nx = 1\n" + line("pypi-upload-token") + strings.Repeat("setting = value\n", 20) // a rename shows it again only to a git that finds no renames
	g.Commit("remove them", map[string]string{"app/app.env": body})
	g.Commit("rename, with a change", map[string]string{"app/app.env": "", "conf/app.env": body + line("slack-bot-token")})
	if !strings.Contains(g.Git("show", "--stat", "-M", "HEAD"), "=>") {
		t.Fatal("the rename is not one to git")
	}
	g.Commit("copy", map[string]string{"conf/copy.env": body + line("slack-bot-token") + line("npm-access-token")})
	g.Commit("binary", map[string]string{"blob.bin": "\x00\x01" + line("gitlab-pat") + "\x00"})
	g.Commit("only deleted", map[string]string{"conf/copy.env": ""})
	g.Git("commit", "-q", "--allow-empty", "-m", "empty")
	g.Git("checkout", "-q", "-b", "feature")
	g.Commit("feature side", map[string]string{"feature.txt": line("shopify-access-token")})
	g.Git("checkout", "-q", "main")
	g.Commit("main side", map[string]string{"main.txt": line("digitalocean-pat")})
	g.Git("merge", "-q", "--no-edit", "feature")
	g.Git("checkout", "-q", "-b", "tagged")
	g.Commit("only a tag has this", map[string]string{"tagged.txt": line("stripe-access-token")})
	g.Git("tag", "v1")
	g.Git("checkout", "-q", "main")
	g.Git("branch", "-q", "-D", "tagged")
	g.Commit("caf\xe9: a name and a message not in UTF-8", map[string]string{"caf\xe9.env": line("sendgrid-api-token"), "nl.txt": "last = " + fmt.Sprintf("%q", s["pypi-upload-token"])})
	many := map[string]string{}
	for i := range partFiles + 100 {
		many[fmt.Sprintf("many/f%04d.txt", i)] = fmt.Sprintf("n = %d\n", i)
	}
	many["many/f0007.txt"] = line("jwt")
	many["many/f1042.txt"] = "a\nb\n" + line("private-key")
	g.Commit("more files than one job takes", many)
	g.Commit("allowed", map[string]string{"ok.txt": fmt.Sprintf("x = %q // gitleaks:allow\n", s["github-pat"])})
	return s
}

// historyPlaces reads forkscan's records of a history into sorted places:
// commit, file, lines, columns, rule.
func historyPlaces(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Status != record.StatusOK {
			t.Errorf("record %s: %s %v %s", r.Path, r.Status, r.Error, r.Reason)
		}
		commit := ""
		if r.Commit != nil {
			commit = r.Commit.ID
		}
		for _, fd := range r.Findings {
			out = append(out, commit+":"+place(fd.File, fd.Line, fd.Column, fd.EndLine, fd.EndColumn, fd.Rule))
		}
	}
	slices.Sort(out)
	return out
}

// gitleaksHistory runs `gitleaks git` on dir with args and reads its
// findings into places.
func gitleaksHistory(t *testing.T, gitleaks, dir string, args ...string) []string {
	t.Helper()
	report := filepath.Join(t.TempDir(), "gitleaks.json")
	cmd := exec.Command(gitleaks, append([]string{"git", "--no-banner", "-l", "error", "-f", "json", "-r", report, "--exit-code", "0"}, append(args, dir)...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks: %v\n%s", err, b)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var found []struct {
		Commit, File           string
		StartLine, EndLine     int
		StartColumn, EndColumn int
		RuleID                 string
	}
	if err := json.Unmarshal(data, &found); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range found {
		out = append(out, f.Commit+":"+place(f.File, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.RuleID))
	}
	slices.Sort(out)
	return out
}

// scanHistory runs `forkscan git` on dir with args and returns its
// output's path and its exit code.
func scanHistory(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "history.jsonl")
	cmd := cliCommand(append([]string{"git", "--no-progress", "--no-redact", "-o", out}, append(args, dir)...)...)
	b, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		t.Fatalf("forkscan git: %v\n%s", err, b)
	}
	if code := cmd.ProcessState.ExitCode(); code > 1 {
		t.Fatalf("forkscan git: exit %d\n%s", code, b)
	}
	return out, cmd.ProcessState.ExitCode()
}

// TestHistoryAsGitleaks wants `forkscan git` to find what `gitleaks git`
// (FORKSCAN_GITLEAKS: make test installs the release) finds in the same
// histories: commit, file, lines, columns and rule of each finding.
func TestHistoryAsGitleaks(t *testing.T) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		t.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make test installs one)")
	}
	g := gittest.New(t)
	secretHistory(t, g)
	shallow := filepath.Join(t.TempDir(), "shallow")
	if b, err := exec.Command("git", "clone", "-q", "--no-local", "--depth", "3", "file://"+g.Dir, shallow).CombinedOutput(); err != nil {
		t.Fatalf("git clone --depth 3: %v\n%s", err, b)
	}
	empty := gittest.New(t)
	bare := filepath.Join(t.TempDir(), "bare.git")
	configured := filepath.Join(t.TempDir(), "configured")
	for _, c := range [][]string{{"clone", "-q", "--bare", g.Dir, bare}, {"clone", "-q", "--no-local", g.Dir, configured},
		{"-C", configured, "config", "diff.renames", "false"}, {"-C", configured, "config", "diff.algorithm", "histogram"},
		{"-C", configured, "config", "diff.interHunkContext", "2"}} {
		if b, err := exec.Command("git", c...).CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v\n%s", c, err, b)
		}
	}
	for _, tc := range []struct {
		name, dir string
		args      []string
		least     int
	}{
		{"all", g.Dir, nil, 15},
		{"range", g.Dir, []string{"--log-opts", "main~3..main"}, 2},
		{"shallow", shallow, nil, 3},
		{"empty", empty.Dir, nil, 0},
		{"bare", bare, nil, 15},
		{"configured", configured, nil, 16}, // its diff settings, which git log -p reads as gitleaks runs it: a rename is a new file
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := scanHistory(t, tc.dir, tc.args...)
			mine := historyPlaces(t, out)
			theirs := gitleaksHistory(t, gitleaks, tc.dir, tc.args...)
			t.Logf("%s: gitleaks %d, forkscan %d", tc.name, len(theirs), len(mine))
			if len(theirs) < tc.least {
				t.Fatalf("gitleaks found %d, fewer than %d: %q", len(theirs), tc.least, theirs)
			}
			if !slices.Equal(mine, theirs) {
				t.Errorf("forkscan found %d, gitleaks %d:\nonly forkscan %q\nonly gitleaks %q", len(mine), len(theirs), without(mine, theirs), without(theirs, mine))
			}
			if want := min(len(theirs), 1); code != want {
				t.Errorf("exit %d, want %d", code, want)
			}
		})
	}
}

// TestHistoryRecords checks what the records of a history say beside the
// findings: the commit's author, date and message, a huge commit's parts,
// and that no scanner reading files runs on a commit.
func TestHistoryRecords(t *testing.T) {
	g := gittest.New(t)
	secretHistory(t, g)
	out, code := scanHistory(t, g.Dir, "-s", "secrets", "-s", "inventory")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	for l := range strings.Lines(string(data)) {
		var r record.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		switch r.Scanner {
		case "inventory":
			if r.Status != record.StatusSkipped {
				t.Errorf("inventory on %s: %s", r.Path, r.Status)
			}
			continue
		}
		if r.Commit == nil || r.Commit.Author != "Ann Author" || r.Commit.Email != "ann@example.com" || r.Commit.Date.IsZero() || !strings.HasPrefix(r.Path, r.Commit.ID) {
			t.Errorf("record %s: commit %+v", r.Path, r.Commit)
		}
		if strings.Contains(r.Path, ":") {
			parts++
			if r.Commit.Message != "more files than one job takes" {
				t.Errorf("part %s: %+v", r.Path, r.Commit)
			}
		}
	}
	if parts != 2 {
		t.Errorf("%d parts of the huge commit, want 2", parts)
	}
}

// TestStagedAndUncommitted: --staged finds a secret staged in a
// repository with no commit yet, --pre-commit one in the work tree only,
// each exit 1; a clean change is exit 0.
func TestStagedAndUncommitted(t *testing.T) {
	g := gittest.New(t)
	s := plant(rand.New(rand.NewPCG(7, 2026)))
	g.Write(map[string]string{"a.env": fmt.Sprintf("token = %q\n", s["gitlab-pat"])})
	g.Git("add", "a.env")
	out, code := scanHistory(t, g.Dir, "--staged")
	if places := historyPlaces(t, out); code != exitFindings || len(places) != 1 || !strings.Contains(places[0], ":a.env:1:") {
		t.Fatalf("--staged: exit %d, %q", code, places)
	}
	g.Commit("one", nil)
	if _, code := scanHistory(t, g.Dir, "--staged"); code != exitOK {
		t.Fatalf("--staged with nothing staged: exit %d", code)
	}
	g.Write(map[string]string{"a.env": fmt.Sprintf("token = %q\nother = %q\n", s["gitlab-pat"], s["npm-access-token"])})
	out, code = scanHistory(t, g.Dir, "--pre-commit")
	if places := historyPlaces(t, out); code != exitFindings || len(places) != 1 || !strings.Contains(places[0], ":a.env:2:") {
		t.Fatalf("--pre-commit: exit %d, %q", code, places)
	}
}

// TestHistorySARIF: a history's SARIF is valid, names each result's file
// and commit, and the run's repository by its origin without the
// credentials in its URL.
func TestHistorySARIF(t *testing.T) {
	g := gittest.New(t)
	secretHistory(t, g)
	g.Git("remote", "add", "origin", "https://user:s3cret@git.example.com/acme/app.git")
	out := filepath.Join(t.TempDir(), "history.sarif")
	cmd := cliCommand("git", "--no-progress", "--format", "sarif", "-o", out, g.Dir)
	if b, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitFindings {
		t.Fatalf("forkscan git: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifschema.Validate(data); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			VersionControlProvenance []struct{ RepositoryURI, RevisionID, Branch string }
			Results                  []struct {
				Locations []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				}
				Properties          map[string]any
				PartialFingerprints map[string]string
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.VersionControlProvenance) != 1 || run.VersionControlProvenance[0].RepositoryURI != "https://git.example.com/acme/app.git" ||
		run.VersionControlProvenance[0].Branch != "main" || len(run.VersionControlProvenance[0].RevisionID) != 40 {
		t.Errorf("provenance %+v", run.VersionControlProvenance)
	}
	if strings.Contains(string(data), "s3cret") {
		t.Error("the remote's password is in the SARIF")
	}
	if len(run.Results) < 15 {
		t.Fatalf("%d results", len(run.Results))
	}
	for _, r := range run.Results {
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if strings.HasPrefix(uri, "file:") || strings.Contains(uri, g.Dir) || r.Properties["commit"] == nil || r.PartialFingerprints["commitSha"] != r.Properties["commit"] || r.Properties["author"] != "Ann Author" {
			t.Errorf("result at %s: %v %v", uri, r.Properties, r.PartialFingerprints)
		}
	}
}
