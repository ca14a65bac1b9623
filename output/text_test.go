package output_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
)

// The text format, block by block: what a person reads of a file's
// records.
func TestTextBlocks(t *testing.T) {
	snippet := "1 import subprocess\n2 subprocess.call(\"ls\", shell=True)\n3 x = 1\n"
	long := strings.Repeat("k", 300)
	cases := []struct {
		name string
		one  bool // the records are one file's
		o    output.Options
		recs []record.Record
		want string
	}{
		{"findings sorted by line, the description once, a fingerprint for a scanner a .gitleaksignore drops", true,
			output.Options{Ignorable: []string{"secrets"}},
			[]record.Record{
				ok("a.py", "secrets",
					record.Finding{Rule: "github-pat", Line: 9, Column: 3, Severity: "high", Message: "a token", Match: `t = "REDACTED"`},
					record.Finding{Rule: "github-pat", Line: 2, Column: 11, Severity: "high", Message: "a token", Match: "REDACTED"}),
				ok("a.py", "exec", record.Finding{Rule: "bandit/B602", Line: 2, Severity: "low", Message: "shell=True", Match: snippet}),
			},
			"a.py\n" +
				"  2     low   bandit/B602\n" +
				"        │ 1 import subprocess\n" +
				"        │ 2 subprocess.call(\"ls\", shell=True)\n" +
				"        │ 3 x = 1\n" +
				"  2:11  high  github-pat   REDACTED\n" +
				"        fingerprint: a.py:github-pat:2\n" +
				"  9:3   high  github-pat   t = \"REDACTED\"\n" +
				"        fingerprint: a.py:github-pat:9\n" +
				"  bandit/B602: shell=True\n" +
				"  github-pat: a token\n"},
		{"a long match cut, many lines said in one", false,
			output.Options{},
			[]record.Record{ok("k.pem", "s", record.Finding{Rule: "key", Line: 1, Match: long + "\nb\nc\nd\ne\nf"})},
			"k.pem\n" +
				"  1  key\n" +
				"     │ " + strings.Repeat("k", 159) + "…\n" +
				"     │ b\n" +
				"     │ c\n" +
				"     │ … 3 more lines\n"},
		{"nothing a file holds moves the cursor or colours the terminal", false,
			output.Options{},
			[]record.Record{ok("evil\x1b[2J\n.txt", "s", record.Finding{Rule: "r\x1b[31m", Line: 1, Message: "m\u202e", Match: "a\x07b\tc\xff"})},
			"evil\\x1b[2J\\x0a.txt\n" +
				"  1  r\\x1b[31m  a\\x07b c\\xff\n" +
				"  r\\x1b[31m: m\\u202e\n"},
		{"each root as the person named it; a root not named, whole when there are several", false,
			output.Options{Roots: []string{"/r", "/s", "/t"}, RootNames: map[string]string{"/r": "a", "/s": "/"}},
			[]record.Record{
				ok("client.py", "s", record.Finding{Rule: "x", Line: 1}),
				{Root: "/s", Path: "nonexistent", Scanner: "s", Status: record.StatusError, Error: record.Errorf(record.InvalidInput, "no such file")},
				{Root: "/t", Path: "client.py", Scanner: "s", Status: record.StatusOK, Findings: []record.Finding{{Rule: "x", Line: 1}}},
			},
			"a/client.py\n  1  x\n/nonexistent\n  s  error INVALID_INPUT no such file\n/t/client.py\n  1  x\n"},
		{"a finding in a commit: its fingerprint names the commit; in an archive's member: the member", false,
			output.Options{Ignorable: []string{"secrets"}},
			[]record.Record{
				{Root: "/repo", Path: "0123456789abcdef", Scanner: "secrets", Status: record.StatusOK,
					Commit:   &record.Commit{ID: "0123456789abcdef", Author: "A", Email: "a@x", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Message: "add"},
					Findings: []record.Finding{{Rule: "k", Line: 4, File: "cfg/app.env", Match: "REDACTED"}}},
				ok("x.zip", "secrets", record.Finding{Rule: "k", Line: 3, Column: 1, Member: "in/y.txt"}),
			},
			"commit 0123456789ab  A <a@x> 2024-01-02  add\n" +
				"  cfg/app.env:4  k  REDACTED\n" +
				"                 fingerprint: 0123456789abcdef:cfg/app.env:k:4\n" +
				"x.zip\n" +
				"  !in/y.txt:3:1  k\n" +
				"                 fingerprint: x.zip!in/y.txt:k:3\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := make([]*output.File, len(c.recs))
			for i := range files {
				files[i] = output.Track(1, 0, true)
			}
			if c.one {
				f := output.Track(len(c.recs), 0, true)
				for i := range files {
					files[i] = f
				}
			}
			out, _ := write(t, output.Text, c.o, c.recs, files)
			require.Equal(t, c.want, out)
		})
	}
}

// The summary counts in words that agree with their numbers, and a
// resumed run's first line counts the whole output, this run's next.
func TestSummaryWords(t *testing.T) {
	var b bytes.Buffer
	output.Summary{Jobs: 1, Workers: 1, Tally: output.Tally{Records: 1, OK: 1, Findings: 1}}.Print(&b)
	require.Equal(t, "forkscan: 1 file, 1 result (1 ok, 0 error, 0 skipped), 1 finding; 1 worker process; 0s\n", b.String())

	b.Reset()
	output.Summary{Jobs: 2, Workers: 2, Unit: "commits", Tally: output.Tally{Records: 2, OK: 2}}.Print(&b)
	require.Equal(t, "forkscan: 2 commits, 2 results (2 ok, 0 error, 0 skipped), 0 findings; 2 worker processes; 0s\n", b.String())

	b.Reset()
	output.Summary{Jobs: 1, Workers: 2, NotRescanned: 3, Tally: output.Tally{Records: 1, Errors: 1},
		Resumed: &resume.Report{From: "out.jsonl", Kept: 3, Files: 3, Findings: 2, Dropped: 1}}.Print(&b)
	require.Equal(t, "forkscan: out.jsonl holds 4 files, 4 results (3 ok, 1 error, 0 skipped), 2 findings (3 kept, 1 new)\n"+
		"forkscan: this run: 1 file, 1 result (0 ok, 1 error, 0 skipped), 0 findings; 2 worker processes; 0s\n"+
		"forkscan: resumed from out.jsonl: kept 3 records of 3 files (3 files not scanned again, 2 findings), dropped 1 record to redo, ignored 0 lines that were not records\n",
		b.String())

	b.Reset()
	output.Summary{Jobs: 3, Workers: 2, Interrupted: true, CarryOn: "to carry on: forkscan scan --resume -o out.jsonl .",
		Tally: output.Tally{Records: 1, OK: 1, Files: output.Files{Done: 1}}}.Print(&b)
	require.Equal(t, "forkscan: 3 files, 1 result (1 ok, 0 error, 0 skipped), 0 findings; 2 worker processes; 0s\n"+
		"forkscan: interrupted: 1 file done, 0 failed, 0 cut short, 2 not started (and the walk stopped where it was)\n"+
		"forkscan: to carry on: forkscan scan --resume -o out.jsonl .\n", b.String())
}
