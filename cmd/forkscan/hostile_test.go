package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
)

// resumeTarget stands, in hostilePlaces, for the output --resume -o reads.
const resumeTarget = "--resume -o FILE"

// hostilePlaces are the files forkscan opens because a scanned tree holds
// or names them, with how a run ends when a hostile thing is in the
// place: its exit code, and what stderr says. A new file the code opens
// must get a row.
var hostilePlaces = []struct {
	place    string
	scanners []string
	code     int
	says     string
}{
	{".gitignore", []string{"inventory"}, exitFailures, "ignore file not used"},
	{"sub/.gitignore", []string{"inventory"}, exitFailures, "ignore file not used"},
	{".git/info/exclude", []string{"inventory"}, exitFailures, "ignore file not used"},
	{".gitleaks.toml", []string{"secrets"}, exitUsage, ".gitleaks.toml"},
	{".gitleaksignore", []string{"secrets"}, exitUsage, ".gitleaksignore"},
	{"forkscan.toml", []string{"inventory"}, exitUsage, "forkscan.toml, in the scanned tree"},
	{resumeTarget, []string{"inventory"}, exitUsage, "--resume"},
}

// hostileKinds are what a hostile tree puts in a place: each is made at
// path, with outside a regular file outside the tree.
var hostileKinds = []struct {
	name string
	make func(t *testing.T, path, outside string)
}{
	{"fifo", func(t *testing.T, path, _ string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }},
	{"dev-zero", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/zero", path)) }},
	{"dev-urandom", func(t *testing.T, path, _ string) { require.NoError(t, os.Symlink("/dev/urandom", path)) }},
	{"link-out", func(t *testing.T, path, outside string) { require.NoError(t, os.Symlink(outside, path)) }},
}

// hostileTree makes a tree of n files with kind in place, and returns the
// root and the arguments of a scan of it.
func hostileTree(t *testing.T, place string, scanners []string, kind func(*testing.T, string, string), n int) (string, []string, string) {
	t.Helper()
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	write(t, outside, "[[exec]]\nname = \"x\"\ncommand = \"touch "+filepath.Join(filepath.Dir(outside), "MARKER")+" {}\"\n")
	for i := range n {
		write(t, filepath.Join(root, "sub", strings.Repeat("x", i%7)+string(rune('a'+i%26))+".txt"), strings.Repeat("y", i))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".git", "info"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	args := []string{"scan", "-w", "2"}
	for _, s := range scanners {
		args = append(args, "-s", s)
	}
	if place == resumeTarget {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		kind(t, out, outside)
		return root, append(args, "--resume", "-o", out), outside
	}
	kind(t, filepath.Join(root, place), outside)
	return root, append(args, "-o", filepath.Join(t.TempDir(), "out.jsonl")), outside
}

// TestHostileFilesInTheirPlaces runs the CLI, a process of its own, over a
// tree with each hostile kind in each place forkscan reads: every run ends,
// with records or a clear error, nothing outside the tree is read or run,
// and no process is left.
func TestHostileFilesInTheirPlaces(t *testing.T) {
	for _, p := range hostilePlaces {
		for _, k := range hostileKinds {
			t.Run(p.place+"/"+k.name, func(t *testing.T) {
				root, args, outside := hostileTree(t, p.place, p.scanners, k.make, 5)
				c := startCLI(t, append(args, root)...)
				select {
				case <-c.done:
				case <-time.After(testwait.Bound(2 * time.Minute)):
					t.Fatalf("the run did not end (a hang); stderr:\n%s", c.stderr.String())
				}
				require.Equal(t, p.code, c.cmd.ProcessState.ExitCode(), c.stderr.String())
				require.Contains(t, c.stderr.String(), p.says)
				c.requireNothingLeft(t, nil)
				_, err := os.Stat(filepath.Join(filepath.Dir(outside), "MARKER"))
				require.ErrorIs(t, err, os.ErrNotExist, "a command of a file outside the tree ran")
				if p.place == resumeTarget && k.name == "link-out" {
					data, err := os.ReadFile(outside)
					require.NoError(t, err)
					require.Contains(t, string(data), "[[exec]]", "the file --resume refused is as it was")
				}
			})
		}
	}
}

// TestHostileFilesAndCtrlC interrupts runs over trees with a hostile thing
// in each place that lets the run go on: the first SIGINT ends each, 130,
// with nothing left.
func TestHostileFilesAndCtrlC(t *testing.T) {
	for _, p := range hostilePlaces {
		if p.code == exitUsage {
			continue // those end before any worker starts (TestHostileFilesInTheirPlaces)
		}
		for _, k := range hostileKinds {
			t.Run(p.place+"/"+k.name, func(t *testing.T) {
				root, _, _ := hostileTree(t, p.place, nil, k.make, 0)
				_, args := sluggishTree(t, 0)
				for i := range 300 {
					write(t, filepath.Join(root, "d", strings.Repeat("f", 1+i%5)+string(rune('a'+i%26))+strings.Repeat("z", i/26)), "x")
				}
				marks := t.TempDir()
				t.Setenv(marksEnv, marks)
				c := startCLI(t, append(args, "-o", filepath.Join(t.TempDir(), "out.jsonl"), root)...)
				waitForMarks(t, marks, 1)
				c.interrupt(t, syscall.SIGINT)
				require.Equal(t, exitInterrupted, c.cmd.ProcessState.ExitCode(), c.stderr.String())
				c.requireNothingLeft(t, nil)
			})
		}
	}
}

// TestTreeConfigRunsNothing: a forkscan.toml in the scanned tree that
// defines a tool writing a marker and an output outside the tree runs
// nothing and writes nothing there; stderr names what was ignored.
func TestTreeConfigRunsNothing(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	marker, output := filepath.Join(elsewhere, "PWNED"), filepath.Join(elsewhere, "records.jsonl")
	write(t, filepath.Join(root, "a.txt"), "hello\n")
	write(t, filepath.Join(root, "skip.md"), "left out\n")
	write(t, filepath.Join(root, "forkscan.toml"), `scanner = ["exec", "inventory"]
output = "`+output+`"
exclude = ["*.md"]
no-redact = true
workers = 64
tool = ["bandit"]

[[exec]]
name = "pwn"
command = "sh -c 'touch `+marker+`' {}"
`)
	code, out, errOut := cli(t, "scan", "-s", "inventory", root)
	require.Equal(t, exitOK, code, errOut)
	for _, path := range []string{marker, output} {
		_, err := os.Stat(path)
		require.ErrorIs(t, err, os.ErrNotExist, "%s was made", path)
	}
	got := records(t, out)
	require.Contains(t, got, "a.txt|inventory", "records go where the command line says: stdout")
	require.NotContains(t, got, "skip.md|inventory", "what the tree may say is taken: its exclude")
	require.Contains(t, errOut, "settings from "+filepath.Join(root, "forkscan.toml")+", in the scanned tree")
	require.Contains(t, errOut, "ignored: exec, no-redact, output, scanner, tool, workers")

	// A file the person names with --config is theirs: all of it is taken.
	own := filepath.Join(t.TempDir(), "mine.toml")
	write(t, own, "workers = 1\nexclude = [\"*.txt\"]\n")
	code, out, errOut = cli(t, "scan", "--config", own, "-s", "inventory", root)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, errOut, "settings from "+own+"\n")
	require.NotContains(t, records(t, out), "a.txt|inventory")
}

// TestResumeRefusesWhatIsNotAnOutput: --resume -o a SARIF log (forkscan's
// own), or a file of something else, is a usage error, and the file is
// left as it was.
func TestResumeRefusesWhatIsNotAnOutput(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "a SECRET\n")
	sarif := filepath.Join(t.TempDir(), "out.sarif")
	code, _, errOut := cli(t, "scan", "-s", "flagger", "--format", "sarif", "-o", sarif, root)
	require.Equal(t, exitFindings, code, errOut)
	garbage := filepath.Join(t.TempDir(), "notes.txt")
	write(t, garbage, "remember the milk\nand the eggs\n")
	for _, path := range []string{sarif, garbage} {
		before, err := os.ReadFile(path)
		require.NoError(t, err)
		code, _, errOut := cli(t, "scan", "-s", "flagger", "--resume", "-o", path, root)
		require.Equal(t, exitUsage, code, errOut)
		require.Contains(t, errOut, "not a forkscan JSON lines output")
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, before, after, "%s was changed", path)
	}
}
