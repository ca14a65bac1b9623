package output_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for the writer's ticker.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ok(path, scanner string, findings ...record.Finding) record.Record {
	return record.Record{Root: "/r", Path: path, Scanner: scanner, Status: record.StatusOK, Findings: findings}
}

func failed(path, scanner string) record.Record {
	return record.Record{Root: "/r", Path: path, Scanner: scanner, Status: record.StatusError,
		Error: record.Errorf(record.Timeout, "too slow")}
}

// write runs records through a new Writer of format, each with its file's
// File, and returns the output and the tally.
func write(t *testing.T, format string, o output.Options, recs []record.Record, files []*output.File) (string, output.Tally) {
	t.Helper()
	var out syncBuffer
	w, err := output.New(&out, format, o)
	require.NoError(t, err)
	for i, r := range recs {
		w.Write(r, files[i])
	}
	require.NoError(t, w.Close())
	return out.String(), w.Tally()
}

// A file's records come in any order, mixed with other files'; the tally
// counts a file once all its records are in.
func TestTallyAndText(t *testing.T) {
	a := output.Track(2, 100, true)
	b := output.Track(2, 50, true)
	c := output.Track(1, 0, false) // an entry the walk could not read
	d := output.Track(2, 7, true)  // cut short: one record of two
	finding := record.Finding{Rule: "key", Line: 3, Column: 7, Message: "a key", Match: "REDACTED"}
	recs := []record.Record{ok("a.go", "s1", finding), failed("b.go", "s1"), ok("d.go", "s1"), ok("a.go", "s2"),
		failed("c", "s1"), ok("b.go", "s2")}
	files := []*output.File{a, b, d, a, c, b}

	out, tally := write(t, output.Text, output.Options{}, recs, files)
	require.Equal(t, output.Files{Done: 1, Failed: 1, Unscanned: 1, Open: 1}, tally.Files)
	require.Equal(t, output.Tally{Records: 6, OK: 4, Errors: 2, Findings: 1, Files: tally.Files, Bytes: 150,
		Failures: map[record.Category]output.Failure{record.Timeout: {Count: 2, First: "too slow"}}}, tally)
	require.Equal(t, strings.Join([]string{
		"a.go", "  3:7  key  REDACTED", "  key: a key",
		"c", "  s1  error TIMEOUT too slow",
		"b.go", "  s1  error TIMEOUT too slow", ""}, "\n"), out, "whole blocks, in the order files complete; d.go has nothing to say")

	// Shown relative to a base directory the files are under.
	out, _ = write(t, output.Text, output.Options{Base: "/"}, recs[:1], []*output.File{output.Track(1, 0, true)})
	require.True(t, strings.HasPrefix(out, "r/a.go\n"), out)
}

// JSON lines: one whole record a line, in arrival order, read back as
// they were.
func TestJSONL(t *testing.T) {
	recs := []record.Record{ok("a.go", "s1", record.Finding{Rule: "k"}), failed("b\xff", "s1"), ok("c", "s1")}
	out, tally := write(t, output.JSONL, output.Options{}, recs, make([]*output.File, len(recs)))
	require.Equal(t, 3, tally.Records)
	lines := strings.SplitAfter(out, "\n")
	require.Len(t, lines, 4)
	require.Empty(t, lines[3])
	for i, l := range lines[:3] {
		var back record.Record
		require.NoError(t, json.Unmarshal([]byte(l), &back))
		require.Equal(t, recs[i].Path, back.Path)
		require.Equal(t, recs[i].Status, back.Status)
	}
}

func TestUnknownFormat(t *testing.T) {
	_, err := output.New(&bytes.Buffer{}, "xml", output.Options{})
	require.ErrorContains(t, err, "jsonl, sarif, text")
}

// SARIF: a valid 2.1.0 log, locations relative to a lone root (escaped
// as URIs), absolute otherwise; severities mapped to levels.
func TestSARIF(t *testing.T) {
	recs := []record.Record{
		ok("dir with space/a.go", "s1", record.Finding{Rule: "k", Line: 2, Column: 3, EndLine: 2, EndColumn: 9, Severity: record.SeverityHigh}),
		ok("b.go", "s1", record.Finding{Rule: "lint", Severity: "info"}),
		failed("c.go", "s1"),
	}
	cases := []struct {
		name  string
		roots []string
		uri   string
	}{
		{"one root", []string{"/r"}, "dir%20with%20space/a.go"},
		{"two roots", []string{"/r", "/s"}, "file:///r/dir%20with%20space/a.go"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			out, _ := write(t, output.SARIF, output.Options{Roots: cs.roots}, recs, make([]*output.File, len(recs)))
			require.True(t, strings.HasSuffix(out, "}\n"))
			require.NoError(t, sarifschema.Validate([]byte(out)))
			require.Contains(t, out, `"uri": "`+cs.uri+`"`)
			require.Contains(t, out, `"level": "error"`)
			require.Contains(t, out, `"level": "note"`)
			require.Contains(t, out, `"executionSuccessful": false`)
		})
	}
}

// A shard's output says what it is: JSON lines begin with the header and
// end with the end line (a resumed output has its header already); SARIF
// keeps both in run.properties, with an automation id per shard.
func TestShardHeaderAndEnd(t *testing.T) {
	h := &record.ShardHeader{Shard: 2, Shards: 3, Split: "size", Roots: []string{"/r"}, Scanners: []string{"s1"}, Settings: "f00", Version: "v1"}
	end := record.ShardEnd{State: record.Finished, Files: 1, Bytes: 10, Tree: "abc"}
	run := func(format string, o output.Options) string {
		var out syncBuffer
		w, err := output.New(&out, format, o)
		require.NoError(t, err)
		w.Write(ok("a.go", "s1"), nil)
		w.End(end)
		require.NoError(t, w.Close())
		return out.String()
	}

	lines := strings.Split(strings.TrimSuffix(run(output.JSONL, output.Options{Shard: h}), "\n"), "\n")
	require.Len(t, lines, 3)
	m, err := record.ParseMeta([]byte(lines[0]))
	require.NoError(t, err)
	require.Equal(t, h, m.Header)
	m, err = record.ParseMeta([]byte(lines[2]))
	require.NoError(t, err)
	require.Equal(t, &end, m.End)

	resumed := run(output.JSONL, output.Options{Shard: h, Resumed: true})
	require.False(t, strings.HasPrefix(resumed, `{"type":"shard"`), resumed)
	require.Equal(t, 2, strings.Count(resumed, "\n"))

	sarif := run(output.SARIF, output.Options{Shard: h, Roots: []string{"/r"}})
	require.NoError(t, sarifschema.Validate([]byte(sarif)))
	var doc struct {
		Runs []struct {
			AutomationDetails struct{ ID string }
			Properties        map[string]map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(sarif), &doc))
	require.Equal(t, "forkscan/shard-2-of-3/", doc.Runs[0].AutomationDetails.ID)
	props := doc.Runs[0].Properties["forkscan"]
	require.Equal(t, "2/3", props["shard"])
	require.Equal(t, "size", props["split"])
	require.Equal(t, "f00", props["settings"])
	require.Equal(t, "finished", props["state"])
	require.Equal(t, "abc", props["tree"])
	require.NotContains(t, run(output.SARIF, output.Options{}), `"forkscan": {`, "a scan that is not a shard has no shard properties")
}

// Findings inside an archive name their member, in each format as
// gitleaks writes it: archive!member; members not read are said.
func TestArchiveMembers(t *testing.T) {
	rec := ok("dist/x.tar.gz", "secrets", record.Finding{Rule: "k", Line: 3, Column: 7, Member: "in/y.zip!a b.txt"})
	rec.Members = &record.Members{Read: 2, Bytes: 99, Notes: []record.MemberNote{{Member: "ln", Reason: "not a regular file (symlink)"}}}
	recs := []record.Record{rec}
	files := []*output.File{output.Track(1, 10, true)}

	out, _ := write(t, output.Text, output.Options{}, recs, files)
	require.Equal(t, "dist/x.tar.gz\n  !in/y.zip!a b.txt:3:7  k\n  secrets  2 members read; not read: !ln (not a regular file (symlink))\n", out)

	out, _ = write(t, output.SARIF, output.Options{Roots: []string{"/r"}}, recs, files)
	require.NoError(t, sarifschema.Validate([]byte(out)))
	require.Contains(t, out, `"uri": "dist/x.tar.gz!in/y.zip!a%20b.txt"`)

	out, _ = write(t, output.JSONL, output.Options{}, recs, files)
	var back record.Record
	require.NoError(t, json.Unmarshal([]byte(out), &back))
	require.Equal(t, rec.Findings, back.Findings)
	require.Equal(t, rec.Members, back.Members)
}
