package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mholt/archives"
	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/archivetest"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/record"
)

// ghToken is a secret gitleaks' default rules find (github-pat).
const ghToken = "token = \"ghp_4rX9kLm2Qw8Zt6Yp1Vn3Bs7Hd5Jf0Gc2Ka8E\"\n"

// writeArchives writes under root a secret in a member of each format
// both tools read, nested archives, and members whose names are not
// UTF-8; it returns how many secrets it hid.
func writeArchives(t *testing.T, root string) int {
	sec := []byte(ghToken)
	type F = archivetest.File
	tarred := archivetest.Tar(t, F{Name: "src/key.txt", Data: sec}, F{Name: "caf\xe9/\xff.txt", Data: sec})
	nested := archivetest.Zip(t, F{Name: "in/mid.tar.gz", Data: archivetest.Compress(t, archives.Gz{},
		archivetest.Tar(t, F{Name: "deep/inner.zip", Data: archivetest.Zip(t, F{Name: "k.txt", Data: sec})}, F{Name: "deep/k.txt.xz", Data: archivetest.Compress(t, archives.Xz{}, sec)}))})
	files := map[string][]byte{
		"plain.txt":      sec,
		"a.zip":          archivetest.Zip(t, F{Name: "src/key.txt", Data: sec}),
		"a.tar":          tarred,
		"a.tar.gz":       archivetest.Compress(t, archives.Gz{}, tarred),
		"a.tar.bz2":      archivetest.Compress(t, archives.Bz2{}, tarred),
		"a.tar.xz":       archivetest.Compress(t, archives.Xz{}, tarred),
		"a.tar.zst":      archivetest.Compress(t, archives.Zstd{}, tarred),
		"key.txt.gz":     archivetest.Compress(t, archives.Gz{}, sec),
		"key.txt.bz2":    archivetest.Compress(t, archives.Bz2{}, sec),
		"key.txt.xz":     archivetest.Compress(t, archives.Xz{}, sec),
		"key.txt.zst":    archivetest.Compress(t, archives.Zstd{}, sec),
		"deep/nest.zip":  nested,
		"deep/empty.zip": archivetest.Zip(t),
	}
	for name, data := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), data, 0o644))
	}
	return 1 + 1 + 2*5 + 4 + 2
}

// TestArchivesAsGitleaks hides a secret in every format, nested and
// under names that are not UTF-8, and wants the findings of `gitleaks dir
// --max-archive-depth 8`: file!member, line, column, rule.
func TestArchivesAsGitleaks(t *testing.T) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		t.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make test installs one)")
	}
	root := t.TempDir()
	hidden := writeArchives(t, root)
	out := filepath.Join(t.TempDir(), "forkscan.jsonl")
	code, _, errOut := cli(t, "scan", "-s", "secrets", "--no-progress", "--no-redact", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	report := filepath.Join(t.TempDir(), "gitleaks.json")
	cmd := exec.Command(gitleaks, "dir", "--max-archive-depth", "8", "--no-banner", "-l", "error", "-f", "json", "-r", report, root)
	b, err := cmd.CombinedOutput()
	require.Equal(t, 1, cmd.ProcessState.ExitCode(), "gitleaks: %v\n%s", err, b)
	mine, theirs := recordPlaces(t, out), reportPlaces(t, report, root)
	require.Len(t, theirs, hidden, "gitleaks found %q", theirs)
	require.Equal(t, theirs, mine, "only forkscan %q\nonly gitleaks %q", without(mine, theirs), without(theirs, mine))
	// Resumed, the unchanged archives' records are kept, with their members' findings.
	code, _, errOut = cli(t, "scan", "-s", "secrets", "--no-progress", "--no-redact", "--resume", "-o", out, root)
	require.Equal(t, exitFindings, code, errOut)
	files, err := os.ReadDir(root)
	require.NoError(t, err)
	deep, err := os.ReadDir(filepath.Join(root, "deep"))
	require.NoError(t, err)
	require.Contains(t, errOut, fmt.Sprintf("(%d files not scanned again, %d findings)", len(files)-1+len(deep), hidden))
	require.Equal(t, mine, recordPlaces(t, out))
}

// TestHostileArchives scans archives made to hurt: each ends in its
// record with its category or its notes, the findings made before it
// kept; the parent's memory stays flat; nothing is left in TMPDIR.
func TestHostileArchives(t *testing.T) {
	type F = archivetest.File
	sec := []byte(ghToken)
	zeros := bytes.Repeat([]byte{0}, 8<<20)
	quine := archivetest.Zip(t, F{Name: "key.txt", Data: sec})
	for range 40 {
		quine = archivetest.Zip(t, F{Name: "again.zip", Data: quine})
	}
	small := archivetest.Zip(t, F{Name: "zeros", Data: zeros})
	var nested []F
	nested = append(nested, F{Name: "first.txt", Data: sec})
	for range 10 {
		nested = append(nested, F{Name: "more.zip", Data: small})
	}
	gz := archivetest.Compress(t, archives.Gz{}, archivetest.Tar(t, F{Name: "a.txt", Data: sec}, F{Name: "b.bin", Data: archivetest.Noise(1 << 18)}))
	sevenZip := gitleaksFile(t, "testdata/archives/files.7z") // no Go library writes 7z
	for _, tc := range []struct {
		name     string
		data     []byte
		args     []string
		category string // the record's error's, "" for ok
		found    int    // findings kept
		note     string // in the record's notes
	}{
		{"bomb.zip", archivetest.Zip(t, F{Name: "first.txt", Data: sec}, F{Name: "zeros", Data: zeros}), []string{"--max-archive-ratio", "100"}, "RESOURCE_LIMIT", 1, ""},
		{"bombs.zip", archivetest.Zip(t, nested...), []string{"--max-archive-ratio", "1000000", "--max-archive-size", "32MiB"}, "RESOURCE_LIMIT", 1, ""},
		{"quine.zip", quine, nil, "", 0, "deeper than the depth limit"},
		{"climb.tar", archivetest.Tar(t, F{Name: "../../../etc/cron.d/x", Data: sec}, F{Name: "/etc/passwd", Data: sec}, F{Name: "ln", Data: []byte("/etc/shadow"), Link: true}), nil, "", 2, "symlink"},
		{"truncated.tar.gz", gz[:len(gz)/2], nil, "", 1, "not a readable archive"},
		{"encrypted.zip", archivetest.EncryptedZip(t, ghToken), nil, "", 1, "secret.txt"},
		{"millions.zip", archivetest.ZipClaiming(t, 3_000_000), nil, "RESOURCE_LIMIT", 0, ""},
		{"files.7z", sevenZip, []string{"--max-archive-size", "200"}, "RESOURCE_LIMIT", 1, ""}, // its first members (115 and 49 bytes) read, the third (285) over
		{"not-really.tar.gz", []byte(ghToken), nil, "", 0, "not a readable archive"},
		// A worker killed mid-archive (over its memory limit): nothing of
		// the archive was on disk to leave behind.
		{"killed.txt.gz", gzBomb(t, 2<<30), []string{"--max-archive-ratio", "100000000", "--max-archive-size", "8GiB", "--memory-limit", "150MiB", "--retries", "0"}, "RESOURCE_LIMIT", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == nil {
				t.Skip("no gitleaks module to take it from")
			}
			root, tmp := t.TempDir(), t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(root, tc.name), tc.data, 0o644))
			out := filepath.Join(t.TempDir(), "out.jsonl")
			cmd := cliCommand(append(append([]string{"scan", "-s", "secrets", "--no-progress", "-o", out}, tc.args...), root)...)
			cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
			var b bytes.Buffer
			cmd.Stdout, cmd.Stderr = &b, &b
			peak := peakRSS(t, cmd)
			rec := records(t, string(must(os.ReadFile(out))))[tc.name+"|secrets"]
			require.Equal(t, tc.name, rec.Path, "no record for %s:\n%s", tc.name, b)
			if tc.category == "" {
				require.Equal(t, record.StatusOK, rec.Status, "%+v\n%s", rec, b)
			} else {
				require.NotNil(t, rec.Error, "%+v", rec)
				require.Equal(t, tc.category, rec.Error.Category.String(), rec.Error.Message)
			}
			require.Len(t, rec.Findings, tc.found, "%+v", rec.Findings)
			if tc.note != "" {
				require.NotNil(t, rec.Members)
				require.True(t, slices.ContainsFunc(rec.Members.Notes, func(n record.MemberNote) bool {
					return strings.Contains(n.Member+" "+n.Reason, tc.note)
				}), "notes %+v, want one saying %q", rec.Members.Notes, tc.note)
			}
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			require.Empty(t, left, "left in TMPDIR")
			require.Less(t, peak, int64(200<<20), "the parent grew to %d bytes", peak)
		})
	}
}

// gitleaksFile is a file of the gitleaks module in go.mod (in the module
// cache), or nil.
func gitleaksFile(t *testing.T, rel string) []byte {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	if err != nil {
		return nil
	}
	data, _ := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), filepath.FromSlash(rel)))
	return data
}

// gzBomb is a gzip file of many members, each the same few bytes that
// expand to a MiB of zeros: n bytes of zeros in all, cheap to make.
func gzBomb(t *testing.T, n int) []byte {
	one := archivetest.Compress(t, archives.Gz{}, make([]byte, 1<<20))
	return bytes.Repeat(one, n>>20)
}

// peakRSS runs cmd to its end and returns the most resident memory seen
// in it (its own, not its workers'), sampled every 10ms from /proc.
func peakRSS(t *testing.T, cmd *exec.Cmd) int64 {
	t.Helper()
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	var peak int64
	for tick := time.NewTicker(10 * time.Millisecond); ; {
		if rss, err := proctest.RSS(cmd.Process.Pid); err == nil {
			peak = max(peak, rss)
		}
		select {
		case <-done:
			tick.Stop()
			return peak
		case <-tick.C:
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
