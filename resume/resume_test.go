package resume_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

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
