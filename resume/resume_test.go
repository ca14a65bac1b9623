package resume_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/resume"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// line is the JSON line of an ok record of scanner for the file at path
// under root, whose content was body.
func line(t *testing.T, root, path, scanner, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	b, err := json.Marshal(record.Record{Root: root, Path: path, Scanner: scanner, Status: record.StatusOK, SHA256: sum[:]})
	require.NoError(t, err)
	return string(b) + "\n"
}

func TestLoad(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "same.txt"), []byte("same"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "changed.txt"), []byte("new"), 0o644))
	errRec, _ := json.Marshal(record.Record{Root: root, Path: "bad.txt", Scanner: "a", Status: record.StatusError, Error: record.Errorf(record.Timeout, "slow")})
	out := filepath.Join(t.TempDir(), "out.jsonl")
	content := line(t, root, "same.txt", "a", "same") + line(t, root, "same.txt", "b", "same") +
		"not json\n" + line(t, root, "changed.txt", "a", "old") + string(errRec) + "\n" +
		line(t, root, "gone.txt", "a", "x") + `{"path":"cut`
	require.NoError(t, os.WriteFile(out, []byte(content), 0o644))

	var warned []string
	prior, rep, err := resume.Load(context.Background(), out, []string{root}, resume.Options{Warn: func(m string) { warned = append(warned, m) }})
	require.NoError(t, err)
	require.Equal(t, resume.Report{From: out, Kept: 2, Dropped: 3, Garbage: 2, Files: 1}, rep)
	require.Len(t, warned, 2)
	require.Contains(t, warned[0], "out.jsonl:3: not a JSON record")
	require.Contains(t, warned[1], "cut short")

	require.Empty(t, prior.Left(root, "same.txt", []string{"a", "b"}), "done, unchanged")
	require.Equal(t, []string{"c"}, prior.Left(root, "same.txt", []string{"a", "c"}), "narrowed to the scanners left")
	require.Equal(t, []string{"a"}, prior.Left(root, "changed.txt", []string{"a"}), "changed: scanned again")
	require.Equal(t, []string{"a"}, (*resume.Prior)(nil).Left(root, "x", []string{"a"}))

	kept, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, line(t, root, "same.txt", "a", "same")+line(t, root, "same.txt", "b", "same"), string(kept),
		"the output keeps only what stays true")
}

func TestLoadOfAnotherRoot(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644))
	out := filepath.Join(t.TempDir(), "out.jsonl")
	require.NoError(t, os.WriteFile(out, []byte(line(t, "/elsewhere", "a.txt", "s", "a")), 0o644))

	_, _, err := resume.Load(context.Background(), out, []string{root}, resume.Options{})
	require.ErrorIs(t, err, resume.ErrRootMismatch)
	require.ErrorContains(t, err, "/elsewhere")

	prior, rep, err := resume.Load(context.Background(), out, []string{root}, resume.Options{Force: true})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Kept, "with Force, a lone root takes the records as its own")
	require.Empty(t, prior.Left(root, "a.txt", []string{"s"}))
	kept, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(kept), `"root":"`+root+`"`), string(kept))
}

func TestLoadOfNoFile(t *testing.T) {
	prior, rep, err := resume.Load(context.Background(), filepath.Join(t.TempDir(), "none.jsonl"), []string{"/r"}, resume.Options{})
	require.NoError(t, err)
	require.Zero(t, rep.Kept)
	require.Equal(t, []string{"a"}, prior.Left("/r", "x", []string{"a"}))
}

// A shard's output resumes only as that shard: its header stays first, its
// end line goes (the run writes its own); another shard, or a run that is
// not a shard, is refused with ErrShardMismatch.
func TestLoadOfAShard(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644))
	h := record.ShardHeader{Shard: 2, Shards: 3, Split: "hash", Roots: []string{root}, Scanners: []string{"s"}, Settings: "x", Version: "v1"}
	meta := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b) + "\n"
	}
	shardOut := meta(h) + line(t, root, "a.txt", "s", "a") + meta(record.ShardEnd{State: record.Interrupted, Files: 4})
	other := h
	other.Shard = 1
	bySize := h
	bySize.Split = "size"
	newer := h
	newer.Version = "v2"
	cases := []struct {
		name    string
		content string // "" for no file
		header  *record.ShardHeader
		err     string
		want    string // the output after Load
	}{
		{"same shard", shardOut, &h, "", meta(h) + line(t, root, "a.txt", "s", "a")},
		{"same shard, a newer forkscan", shardOut, &newer, "", meta(newer) + line(t, root, "a.txt", "s", "a")},
		{"no file", "", &h, "", meta(h)},
		{"only a header", meta(h), &h, "", meta(h)},
		{"another shard", shardOut, &other, "it is the output of shard 2/3 split by hash, and this run is shard 1/3 split by hash", ""},
		{"another split", shardOut, &bySize, "and this run is shard 2/3 split by size", ""},
		{"not a shard now", shardOut, nil, "resume it with --shard 2/3", ""},
		{"not a shard then", line(t, root, "a.txt", "s", "a"), &h, "not sharded, and this run is shard 2/3", ""},
		{"two shards in one file", shardOut + meta(other), &h, "headers of shard 2/3 and of shard 1/3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			if c.content != "" {
				require.NoError(t, os.WriteFile(out, []byte(c.content), 0o644))
			}
			_, rep, err := resume.Load(context.Background(), out, []string{root}, resume.Options{Header: c.header})
			if c.err != "" {
				require.ErrorIs(t, err, resume.ErrShardMismatch)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Zero(t, rep.Garbage, "header and end lines are not garbage")
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, c.want, string(got))
		})
	}
}

// Lines numbers the lines and says what each is.
func TestLines(t *testing.T) {
	h, _ := json.Marshal(record.ShardHeader{Shard: 1, Shards: 1, Split: "hash"})
	in := string(h) + "\n" + line(t, "/r", "a", "s", "a") + "[1,2]\n" + `{"type":"end","state":"finished"}` + "\n" + `{"root":"/r"`
	var got []string
	for l, err := range resume.Lines(strings.NewReader(in)) {
		require.NoError(t, err)
		switch {
		case l.Meta.Header != nil:
			got = append(got, fmt.Sprintf("%d header", l.N))
		case l.Meta.End != nil:
			got = append(got, fmt.Sprintf("%d end %s", l.N, l.Meta.End.State))
		case l.IsRecord():
			got = append(got, fmt.Sprintf("%d record %s", l.N, l.Record.Path))
		default:
			got = append(got, fmt.Sprintf("%d bad: %s", l.N, l.Bad))
		}
	}
	require.Equal(t, []string{
		"1 header", "2 record a",
		"3 bad: not a JSON record (json: cannot unmarshal array into Go value of type record.line)",
		"4 end finished", "5 bad: the last line is cut short (no newline)",
	}, got)

	long := strings.Repeat("x", resume.MaxLine+10) + "\n" + line(t, "/r", "b", "s", "b")
	got = nil
	for l, err := range resume.Lines(strings.NewReader(long)) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%d %s%s", l.N, l.Bad, l.Record.Path))
	}
	require.Equal(t, []string{"1 longer than 64 MiB", "2 b"}, got, "a line too long is read past, not held")

	// A line that begins as a header but is not one is bad, and says why.
	crafted := `{"type":"shard","shard":1,"shards":100000000,"split":"hash"}` + "\n" + line(t, "/r", "c", "s", "c")
	got = nil
	for l, err := range resume.Lines(strings.NewReader(crafted)) {
		require.NoError(t, err)
		if l.N == 1 {
			require.ErrorIs(t, l.Err, record.ErrBadMeta)
			require.Nil(t, l.Meta.Header)
			require.False(t, l.IsRecord())
		}
		got = append(got, fmt.Sprintf("%d %s%s", l.N, l.Bad, l.Record.Path))
	}
	require.Equal(t, []string{
		"1 a bad shard header or end line: the header's shard count is 100000000, not from 1 to 100000 (the most shards a scan may have)",
		"2 c",
	}, got)

	// A decoder's error quotes what it could not take: Bad quotes a little.
	huge := `{"root":"/r","path":"d","scanner":"s","status":"ok","attempts":1` + strings.Repeat("0", 1<<20) + "}\n"
	for l, err := range resume.Lines(strings.NewReader(huge)) {
		require.NoError(t, err)
		require.Contains(t, l.Bad, "not a JSON record (json: cannot unmarshal number 1000")
		require.LessOrEqual(t, len(l.Bad), 260)
		require.Error(t, l.Err)
	}
}

// TestLoadRefusesWhatIsNotAnOutput: an output that is not a regular file,
// or whose lines hold no record, is refused and left as it was; a
// recorded file that became a FIFO, a symlink out of its root or a
// device, or grew past the size limit, is scanned again, never read.
func TestLoadRefusesWhatIsNotAnOutput(t *testing.T) {
	dir := t.TempDir()
	sarif := `{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",` + "\n" + `  "runs": []` + "\n}\n"
	cases := []struct {
		name string
		make func(path string)
	}{
		{"a SARIF log", func(path string) { require.NoError(t, os.WriteFile(path, []byte(sarif), 0o644)) }},
		{"garbage", func(path string) { require.NoError(t, os.WriteFile(path, []byte("hello\nworld\n"), 0o644)) }},
		{"a FIFO", func(path string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }},
		{"a device", func(path string) { require.NoError(t, os.Symlink("/dev/zero", path)) }},
		{"a directory", func(path string) { require.NoError(t, os.Mkdir(path, 0o755)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			c.make(path)
			before, err := os.Lstat(path)
			require.NoError(t, err)
			var content []byte
			if before.Mode().IsRegular() {
				content, _ = os.ReadFile(path)
			}
			_, _, err = resume.Load(context.Background(), path, []string{dir}, resume.Options{})
			require.ErrorIs(t, err, resume.ErrNotOutput)
			after, err := os.Lstat(path)
			require.NoError(t, err)
			require.Equal(t, before.Mode(), after.Mode(), "its kind unchanged")
			if before.Mode().IsRegular() {
				again, _ := os.ReadFile(path)
				require.Equal(t, content, again, "its content unchanged")
			}
		})
	}
}

func TestLoadRehashesSafely(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"fifo": "", "out": "secret", "zero": "", "big": "0123456789", "ok": "fine"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644))
	out := filepath.Join(t.TempDir(), "out.jsonl")
	var content string
	for _, name := range []string{"fifo", "out", "zero", "big", "ok"} {
		body, _ := os.ReadFile(filepath.Join(root, name))
		content += line(t, root, name, "a", string(body))
	}
	require.NoError(t, os.WriteFile(out, []byte(content), 0o644))
	// Each recorded file is replaced by what must not be read.
	require.NoError(t, os.Remove(filepath.Join(root, "fifo")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(root, "out")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "out")))
	require.NoError(t, os.Remove(filepath.Join(root, "zero")))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(root, "zero")))
	done := make(chan struct{})
	var rep resume.Report
	var err error
	go func() {
		defer close(done)
		_, rep, err = resume.Load(context.Background(), out, []string{root}, resume.Options{MaxSize: 5})
	}()
	testwait.Chan(t, 30*time.Second, "Load to return (else it blocked on a recorded file)", done)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Kept, "only ok is still true")
	require.Equal(t, 4, rep.Dropped)
}

// A record stays true only if it was made with the settings the run gives
// its scanner (Options.Settings): a tool's changed command line makes its
// records again; a scanner the run does not name, or a run that names
// none, compares nothing.
func TestLoadComparesSettings(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.py"), []byte("a"), 0o644))
	made := func(scanner, settings string) string {
		sum := sha256.Sum256([]byte("a"))
		b, err := json.Marshal(record.Record{Root: root, Path: "a.py", Scanner: scanner, Status: record.StatusOK, SHA256: sum[:], Settings: settings})
		require.NoError(t, err)
		return string(b) + "\n"
	}
	cases := []struct {
		name     string
		record   string
		settings map[string]string
		kept     bool
	}{
		{"same settings", made("exec", "f1"), map[string]string{"exec": "f1"}, true},
		{"another command", made("exec", "f1"), map[string]string{"exec": "f2"}, false},
		{"made with settings, run with none", made("exec", "f1"), map[string]string{"exec": ""}, false},
		{"made by an older forkscan, run with settings", made("exec", ""), map[string]string{"exec": "f1"}, false},
		{"neither has settings", made("inventory", ""), map[string]string{"inventory": ""}, true},
		{"a scanner the run does not name", made("exec", "f1"), map[string]string{"secrets": "s1"}, true},
		{"no settings compared", made("exec", "f1"), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			require.NoError(t, os.WriteFile(out, []byte(c.record), 0o644))
			prior, rep, err := resume.Load(context.Background(), out, []string{root}, resume.Options{Settings: c.settings})
			require.NoError(t, err)
			kept, err := os.ReadFile(out)
			require.NoError(t, err)
			scanner := []string{"exec"}
			if strings.Contains(c.record, `"inventory"`) {
				scanner = []string{"inventory"}
			}
			if c.kept {
				require.Equal(t, 1, rep.Kept)
				require.Equal(t, c.record, string(kept))
				require.Empty(t, prior.Left(root, "a.py", scanner))
			} else {
				require.Equal(t, 1, rep.Dropped)
				require.Empty(t, kept)
				require.Equal(t, scanner, prior.Left(root, "a.py", scanner))
			}
		})
	}
}

// TestLoadOfAHistory: an ok record of a commit stays true while the run's
// revisions reach the commit (Options.Reached, asked once per root with
// the commits recorded); a commit no longer reached, a part of one
// included, loses its record, and a failing Reached fails the load with
// the output left whole.
func TestLoadOfAHistory(t *testing.T) {
	repo := t.TempDir()
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 64)
	made := func(path string) string {
		out, err := json.Marshal(record.Record{Root: repo, Path: path, Scanner: "secrets", Status: record.StatusOK})
		require.NoError(t, err)
		return string(out) + "\n"
	}
	content := made(a) + made(b+":1/2") + made(b+":2/2") + made(c) + made("staged")
	cases := []struct {
		name    string
		reached map[string]bool
		err     error
		kept    string
	}{
		{"every commit reached", map[string]bool{a: true, b: true, c: true}, nil, made(a) + made(b+":1/2") + made(b+":2/2") + made(c)},
		{"one commit in parts not reached", map[string]bool{a: true, c: true}, nil, made(a) + made(c)},
		{"none reached", map[string]bool{}, nil, ""},
		{"git fails", nil, errors.New("rev-list failed"), content},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			require.NoError(t, os.WriteFile(out, []byte(content), 0o644))
			var asked []map[string]bool
			reached := func(_ context.Context, root string, commits map[string]bool) (map[string]bool, error) {
				require.Equal(t, repo, root)
				asked = append(asked, commits)
				return tc.reached, tc.err
			}
			_, rep, err := resume.Load(context.Background(), out, []string{repo}, resume.Options{History: true, Reached: reached})
			require.Equal(t, []map[string]bool{{a: true, b: true, c: true}}, asked, "one question, of the commits recorded")
			data, rerr := os.ReadFile(out)
			require.NoError(t, rerr)
			require.Equal(t, tc.kept, string(data))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, strings.Count(tc.kept, "\n"), rep.Kept)
			require.Equal(t, 5-rep.Kept, rep.Dropped, "the staged changes' record is never kept")
		})
	}
}
