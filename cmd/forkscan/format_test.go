package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/sarifschema"
)

func TestSARIFIsValid(t *testing.T) {
	root := t.TempDir()
	secretTree(t, root)
	write(t, filepath.Join(root, "dir with space", "a SECRET.txt"), "a SECRET\n")
	dangling := filepath.Join(t.TempDir(), "dangling") // a PATH that is there and cannot be read
	require.NoError(t, os.Symlink("missing", dangling))
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"findings", []string{"scan", "-s", "secrets", "-s", "flagger", "--format", "sarif", root}, exitFindings},
		{"errors too", []string{"scan", "-s", "flagger", "--format", "sarif", root, dangling}, exitFailures},
		{"nothing", []string{"scan", "-s", "flagger", "--format", "sarif", filepath.Join(root, "all.txt")}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, c.args...)
			require.Equal(t, c.code, code, errOut)
			require.NoError(t, sarifschema.Validate([]byte(out)))
			broken := strings.Replace(out, `"version": "2.1.0"`, `"version": "2.0"`, 1)
			require.Error(t, sarifschema.Validate([]byte(broken)), "the schema check can fail")

			var log struct {
				Runs []struct {
					Results []struct {
						RuleID    string `json:"ruleId"`
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI string } `json:"artifactLocation"`
								Region           struct{ StartLine int }
							} `json:"physicalLocation"`
						}
					}
					Invocations []struct {
						ExecutionSuccessful bool `json:"executionSuccessful"`
					}
				}
			}
			require.NoError(t, json.Unmarshal([]byte(out), &log))
			require.Len(t, log.Runs, 1)
			results := log.Runs[0].Results
			switch c.name {
			case "findings":
				want := len(gitleaksFindings(t, root)) + 1 // and the flagger's one
				require.Len(t, results, want)
				uris := map[string]bool{}
				for _, r := range results {
					uris[r.Locations[0].PhysicalLocation.ArtifactLocation.URI] = true
					require.Positive(t, r.Locations[0].PhysicalLocation.Region.StartLine)
				}
				require.True(t, uris["all.txt"], "relative to the root: %v", uris)
				require.True(t, uris["dir%20with%20space/a%20SECRET.txt"], "escaped as a URI: %v", uris)
			case "errors too":
				require.False(t, log.Runs[0].Invocations[0].ExecutionSuccessful)
			case "nothing":
				require.Empty(t, results)
			}
		})
	}
}

// TestTextFormatGroupsByFile: a file's findings and errors come as one
// block, whatever order its scanners finish in.
func TestTextFormatGroupsByFile(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a", "b", "c", "d"} {
		write(t, filepath.Join(root, name+".txt"), "a SECRET\n")
	}
	write(t, filepath.Join(root, "clean.txt"), "nothing\n")
	code, out, errOut := cli(t, "scan", "--format", "text", "-s", "flagger", "-s", "sluggish", "-s", "inventory", root)
	require.Equal(t, exitFindings, code, errOut)
	blocks := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, blocks, 8, out)
	for i := 0; i < len(blocks); i += 2 {
		require.True(t, strings.HasSuffix(blocks[i], ".txt"), "a path, then its finding: %q", out)
		require.True(t, strings.HasPrefix(blocks[i+1], "  1  secret-word"), out)
	}
	require.NotContains(t, out, "clean.txt")
}

func TestBadFormatAndOutputFlags(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "a\n")
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"unknown format", []string{"--format", "xml"}, "--format must be one of jsonl, sarif, text"},
		{"unknown progress", []string{"--progress", "loud"}, "--progress"},
		{"unknown color", []string{"--color", "pink"}, "--color"},
		{"resume needs jsonl", []string{"--resume", "-o", filepath.Join(t.TempDir(), "x"), "--format", "sarif"}, "jsonl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, append(append([]string{"scan"}, c.args...), root)...)
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, c.says)
		})
	}
}

func TestProgress(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		write(t, filepath.Join(root, "d", string(rune('a'+i%26)), strings.Repeat("f", 1+i/26)), "x\n")
	}
	defer func(d time.Duration) { plainEvery = d }(plainEvery)
	plainEvery = 100 * time.Millisecond
	var stderr bytes.Buffer
	code := execute(t.Context(), []string{"scan", "-s", "sluggish", "-w", "2", "--tasks", "1", "--progress", "plain", root}, new(bytes.Buffer), &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Regexp(t, `forkscan: progress: \d+ files? scanned; [\d.]+ [KMG]?i?B of [\d.]+ [KMG]?i?B\+?, [\d.]+ [KMG]?i?B/s, ETA`, stderr.String())

	stderr.Reset()
	code = execute(t.Context(), []string{"scan", "-s", "sluggish", "-w", "2", "--tasks", "1", "--progress", "bar", root}, new(bytes.Buffer), &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Regexp(t, `\d+ files? scanned +\d+% \|`, stderr.String(), "the bar's label, then its percentage (of bytes, as its counts)")
	require.Regexp(t, `\(\d+/\d+ B, \d+ B/s\)`, stderr.String(), "the bar counts bytes")

	stderr.Reset()
	code = execute(t.Context(), []string{"scan", "-s", "sluggish", "--no-progress", root}, new(bytes.Buffer), &stderr)
	require.Equal(t, exitOK, code)
	require.NotContains(t, stderr.String(), "progress")
}

// The progress of a resumed run measures this run's work: the bytes of
// the files the output already has count in neither its total nor its
// rate.
func TestProgressOfAResumeCountsThisRunOnly(t *testing.T) {
	root := t.TempDir()
	for i := range 100 {
		write(t, filepath.Join(root, fmt.Sprintf("f%03d", i)), strings.Repeat("x", 100))
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut := cli(t, "scan", "-s", "sluggish", "-o", out, root)
	require.Equal(t, exitOK, code, errOut)
	write(t, filepath.Join(root, "new"), "0123456789")

	defer func(d time.Duration) { plainEvery = d }(plainEvery)
	plainEvery = time.Millisecond
	code, _, errOut = cli(t, "scan", "-s", "sluggish", "--progress", "plain", "--resume", "-o", out, root)
	require.Equal(t, exitOK, code, errOut)
	lines := regexp.MustCompile(`forkscan: progress: .*; (\d+) B of (\d+) B\+?, [\d.]+ [KMG]?i?B/s`).FindAllStringSubmatch(errOut, -1)
	require.NotEmpty(t, lines, errOut)
	for _, l := range lines {
		scanned, _ := strconv.Atoi(l[1])
		total, _ := strconv.Atoi(l[2])
		require.LessOrEqual(t, scanned, 10, l[0])
		require.LessOrEqual(t, total, 10, "the 10 kept KB are not this run's: %s", l[0])
	}
}
