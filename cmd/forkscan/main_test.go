package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/worker"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// TestMain lets this test binary serve as the CLI's workers: the engine
// re-execs it, and worker.Main serves instead of running the tests.
func TestMain(m *testing.M) {
	worker.Main()
	if os.Getenv(cliEnv) != "" { // the CLI itself, for tests that signal it
		os.Exit(execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	// A run inside a Kubernetes Indexed Job or a GitLab parallel job
	// would be a shard: the tests say when they want one.
	for _, name := range []string{envJobIndex, envShards, envCIIndex, envCITotal} {
		_ = os.Unsetenv(name)
	}
	goleak.VerifyTestMain(m)
}

// flagger is a test-only scanner with a finding for every file that says SECRET.
func init() {
	scan.Register(scan.Def{Name: "flagger", Content: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(_ context.Context, f *scan.File) (scan.Report, error) {
			if bytes.Contains(f.Data, []byte("SECRET")) {
				return scan.Report{Findings: []scan.Finding{{Rule: "secret-word", Line: 1}}}, nil
			}
			return scan.Report{}, nil
		}), nil
	}})
}

// fussy and broken are test-only scanners whose construction fails in
// every worker: for a setting that is wrong, or for want of something.
func init() {
	scan.Register(scan.Def{Name: "fussy", New: func() (scan.Scanner, error) {
		return nil, scan.Errorf(scan.InvalidInput, "fussy will not start with these settings")
	}})
	scan.Register(scan.Def{Name: "broken", New: func() (scan.Scanner, error) {
		return nil, scan.Errorf(scan.ToolError, "broken cannot be built: its library is missing")
	}})
}

// limited is a test-only scanner that holds the run-wide semaphore
// "cli-sem", which it leaves to the CLI's --limit to size.
func init() {
	scan.Register(scan.Def{Name: "limited", New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(ctx context.Context, _ *scan.File) (scan.Report, error) {
			sem := scan.Semaphore(ctx, "cli-sem", 0)
			if err := sem.Acquire(ctx, 1); err != nil {
				return scan.Report{}, err
			}
			return scan.Report{}, sem.Release(1)
		}), nil
	}})
}

// cli runs the CLI with args and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func records(t *testing.T, jsonl string) map[string]record.Record {
	t.Helper()
	got := map[string]record.Record{}
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		if line == "" {
			continue
		}
		var r record.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r), "line %q", line)
		_, dup := got[r.Path+"|"+r.Scanner]
		require.False(t, dup, "two records for %s/%s", r.Path, r.Scanner)
		got[r.Path+"|"+r.Scanner] = r
	}
	return got
}

func write(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

func TestBadInputGetsARecordEach(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "ok.txt"), "hello\n")
	write(t, filepath.Join(root, "bin.dat"), "\x00\x01\x02")
	write(t, filepath.Join(root, "big.txt"), strings.Repeat("x", 100))
	write(t, filepath.Join(root, "bad-\xff\xfe.txt"), "name is not UTF-8\n")
	write(t, filepath.Join(root, ".git", "config"), "never scanned\n")
	write(t, filepath.Join(root, "sub", "inner.txt"), "inside\n")
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	require.NoError(t, os.Symlink("loop-b", filepath.Join(root, "loop-a")))
	require.NoError(t, os.Symlink("loop-a", filepath.Join(root, "loop-b")))
	require.NoError(t, os.Symlink("missing", filepath.Join(root, "broken")))
	outside := filepath.Join(t.TempDir(), "outside.txt")
	write(t, outside, "outside the root\n")
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "out-link")))
	require.NoError(t, os.Symlink("sub", filepath.Join(root, "dir-link")))
	require.NoError(t, os.Symlink("ok.txt", filepath.Join(root, "file-link")))

	code, out, errOut := cli(t, "scan", "-s", "inventory", "-w", "2", "--max-file-size", "50", root)
	require.Equal(t, exitFailures, code, errOut)
	got := records(t, out)

	cases := []struct {
		path, status, category, reason string
	}{
		{"ok.txt", "ok", "", ""},
		{"bin.dat", "ok", "", ""}, // inventory takes binary files
		{"big.txt", "skipped", "", "too large"},
		{"bad-\xff\xfe.txt", "ok", "", ""}, // its exact bytes, through path_base64
		{"sub/inner.txt", "ok", "", ""},
		{"fifo", "skipped", "", "named pipe"},
		{"loop-a", "error", "INVALID_INPUT", ""},
		{"loop-b", "error", "INVALID_INPUT", ""},
		{"broken", "error", "INVALID_INPUT", ""},
		{"out-link", "skipped", "", "outside the scanned root"},
		{"dir-link", "skipped", "", "directory"},
		{"file-link", "ok", "", ""},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r, ok := got[c.path+"|inventory"]
			require.True(t, ok, "no record for %q in %v", c.path, keys(got))
			require.Equal(t, c.status, r.Status.String(), "%+v", r)
			if c.category != "" {
				require.Equal(t, c.category, r.Error.Category.String())
			}
			require.Contains(t, r.Reason, c.reason)
		})
	}
	require.Len(t, got, len(cases), "no other records (nothing under .git): %v", keys(got))
	require.Contains(t, out, `"path":"bad-`+"\uFFFD"+`.txt","path_base64":"`+base64Of("bad-\xff\xfe.txt")+`"`)
	require.Contains(t, errOut, "12 files, 12 results (5 ok, 3 error, 4 skipped)")
}

func base64Of(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func keys(m map[string]record.Record) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

func TestExitCodes(t *testing.T) {
	clean := t.TempDir()
	write(t, filepath.Join(clean, "a.txt"), "nothing to see\n")
	dirty := t.TempDir()
	write(t, filepath.Join(dirty, "a.txt"), "a SECRET here\n")
	dangling := filepath.Join(t.TempDir(), "dangling") // there, and unreadable
	require.NoError(t, os.Symlink("nope", dangling))
	cases := []struct {
		name string
		args []string
		want int
		says string // a substring of stderr
	}{
		{"clean", []string{"scan", "-s", "flagger", clean}, exitOK, "0 findings"},
		{"findings", []string{"scan", "-s", "flagger", dirty}, exitFindings, "1 finding;"},
		{"in-process", []string{"scan", "--in-process", "-s", "flagger", dirty}, exitFindings, "in-process"},
		{"failures", []string{"scan", dangling}, exitFailures, "1 error"},
		{"a PATH not there", []string{"scan", clean, filepath.Join(clean, "nope")}, exitUsage, "nope: no such file or directory"},
		{"a PATH under a file", []string{"scan", filepath.Join(clean, "a.txt", "b")}, exitUsage, "b: no such file or directory"},
		{"no path", []string{"scan"}, exitUsage, "no PATH"},
		{"zero workers", []string{"scan", "--workers", "0", clean}, exitUsage, "--workers"},
		{"negative tasks", []string{"scan", "--tasks", "-1", clean}, exitUsage, "--tasks"},
		{"zero tasks", []string{"scan", "--tasks", "0", clean}, exitUsage, "--tasks"},
		{"a fork storm of workers", []string{"scan", "--workers", "10000", clean}, exitUsage, "--workers must be from 1 to 256"},
		{"too many tasks", []string{"scan", "--tasks", "100000", clean}, exitUsage, "--tasks"},
		{"a scanner that refuses its settings", []string{"scan", "-s", "fussy", clean}, exitUsage, "fussy will not start"},
		{"a scanner that cannot be built", []string{"scan", "-s", "broken", clean}, exitCannotRun, "broken cannot be built"},
		{"bad format", []string{"scan", "--format", "xml", clean}, exitUsage, "--format"},
		{"unknown scanner", []string{"scan", "-s", "nope", clean}, exitUsage, "unknown scanner"},
		{"bad size", []string{"scan", "--max-file-size", "ten", clean}, exitUsage, "--max-file-size"},
		{"unknown flag", []string{"scan", "--frobnicate", clean}, exitUsage, "frobnicate"},
		{"limit given", []string{"scan", "-s", "limited", "--limit", "cli-sem=2", clean}, exitOK, "semaphore cli-sem: capacity 2"},
		{"limit missing", []string{"scan", "-s", "limited", clean}, exitFailures, "1 error"},
		{"limits only", []string{"scan", "-s", "limited", "--limit", "other=1", "--limits-only", clean}, exitFailures, "1 error"},
		{"limit without K", []string{"scan", "--limit", "db", clean}, exitUsage, "--limit"},
		{"limit of zero", []string{"scan", "--limit", "db=0", clean}, exitUsage, "--limit"},
		{"limit twice", []string{"scan", "--limit", "db=1", "--limit", "db=2", clean}, exitUsage, "limited twice"},
		{"unknown command", []string{"scna", clean}, exitUsage, "unknown command"},
		{"negative retries", []string{"scan", "--retries", "-1", clean}, exitUsage, "--retries"},
		{"negative timeout", []string{"scan", "--timeout", "-1s", clean}, exitUsage, "--timeout"},
		{"zero means none", []string{"scan", "--retries", "0", "--timeout", "0", "--watchdog", "0", "--grace", "0", "--retry-delay", "0", clean}, exitOK, "1 file,"},
		{"bad glob", []string{"scan", "--include", "[", clean}, exitUsage, "not a valid glob"},
		{"timeout without unit", []string{"scan", "--timeout", "60", clean}, exitUsage, "timeout"},
		{"bad memory limit", []string{"scan", "--memory-limit", "lots", clean}, exitUsage, "--memory-limit"},
		{"zero memory limit", []string{"scan", "--memory-limit", "0", clean}, exitUsage, "--memory-limit"},
		{"backoff below 1", []string{"scan", "--backoff", "0.5", clean}, exitUsage, "--backoff"},
		{"backoff NaN", []string{"scan", "--backoff", "NaN", clean}, exitUsage, "--backoff"},
		{"negative retry delay", []string{"scan", "--retry-delay", "-1s", clean}, exitUsage, "--retry-delay"},
		{"negative watchdog", []string{"scan", "--watchdog", "-1s", clean}, exitUsage, "--watchdog"},
		{"zero start timeout", []string{"scan", "--start-timeout", "0", clean}, exitUsage, "--start-timeout must be positive"},
		{"negative max jobs", []string{"scan", "--max-jobs-per-worker", "-3", clean}, exitUsage, "--max-jobs-per-worker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, c.args...)
			require.Equal(t, c.want, code, errOut)
			require.Contains(t, errOut, c.says)
		})
	}
}

func TestOutputFileAndTextFormat(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "a SECRET\n")
	write(t, filepath.Join(root, "b.txt"), "b\n")
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	code, out, _ := cli(t, "scan", "-s", "flagger", "-s", "inventory", "-o", outFile, root)
	require.Equal(t, exitFindings, code)
	require.Empty(t, out, "records go to the file, not stdout")
	data, err := os.ReadFile(outFile)
	require.NoError(t, err)
	got := records(t, string(data))
	require.Len(t, got, 4)
	require.Len(t, got["a.txt|flagger"].Findings, 1)
	require.NotNil(t, got["b.txt|flagger"].Findings, "findings is [] when empty, not null")

	code, out, _ = cli(t, "scan", "--format", "text", "-s", "flagger", "-s", "inventory", root)
	require.Equal(t, exitFindings, code)
	require.Equal(t, filepath.Join(root, "a.txt")+"\n  1  secret-word\n", out, "one block per file with findings, under its root as named; b.txt has none")
	require.NotContains(t, out, "\x1b[", "no colour when the output is not a terminal")
	code, out, _ = cli(t, "scan", "--format", "text", "--color", "always", "-s", "flagger", root)
	require.Equal(t, exitFindings, code)
	require.Contains(t, out, "\x1b[1m"+filepath.Join(root, "a.txt")+"\x1b[0m")
}

func TestScannersAndVersion(t *testing.T) {
	code, out, _ := cli(t, "scanners")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "inventory")
	require.Contains(t, out, "flagger")
	code, out, _ = cli(t, "tools")
	require.Equal(t, exitOK, code)
	for _, tool := range external.Presets() {
		installed := "yes"
		if _, err := exec.LookPath(tool.Command[0]); err != nil {
			installed = "no: " + tool.Install
		}
		require.Regexp(t, `(?m)^`+tool.Name+` .* `+regexp.QuoteMeta(installed)+`$`, out)
	}
	code, out, _ = cli(t, "version")
	require.Equal(t, exitOK, code)
	require.True(t, strings.HasPrefix(out, "forkscan "), out)
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"512", 512, true}, {"10MiB", 10 << 20, true}, {"10M", 10 << 20, true},
		{"1GB", 1e9, true}, {"2kib", 2048, true}, {"7B", 7, true},
		{"", 0, false}, {"ten", 0, false}, {"-1", 0, false}, {"MiB", 0, false}, {"99999999999G", 0, false},
	}
	for _, c := range cases {
		got, err := parseSize(c.in)
		require.Equal(t, c.ok, err == nil, "%q: %v", c.in, err)
		require.Equal(t, c.want, got, c.in)
	}
}
