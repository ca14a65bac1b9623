package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/worker/scan"
)

// failing is a test-only scanner with an error record for every file that
// says FAIL, and a finding for every file that says SECRET.
func init() {
	scan.Register(scan.Def{Name: "failing", Content: true, New: func() (scan.Scanner, error) {
		return scan.ScannerFunc(func(_ context.Context, f *scan.File) (scan.Report, error) {
			if bytes.Contains(f.Data, []byte("FAIL")) {
				return scan.Report{}, scan.Errorf(scan.ToolError, "failing cannot read %s", f.Path)
			}
			if bytes.Contains(f.Data, []byte("SECRET")) {
				return scan.Report{Findings: []scan.Finding{{Rule: "secret-word", Message: "says SECRET", Line: 1, Severity: "medium", Match: "SECRET"}}}, nil
			}
			return scan.Report{}, nil
		}), nil
	}})
}

// TestSARIFPassesValidator runs Microsoft's SARIF validator with GitHub's
// rules (`sarif-multitool validate --rule-kind "Sarif;Gh"`) over the SARIF
// of a scan with findings and errors, of shards merged, of a finding in
// an archive's member and of a history: no error, and no warning but
// those sarifschema.Kept keeps. The same check fails on a log with a
// sentinel index.
func TestSARIFPassesValidator(t *testing.T) {
	multitool := sarifschema.Multitool(t)
	dir := t.TempDir()
	sarifOf := func(name string, code int, command string, args ...string) string {
		t.Helper()
		file := filepath.Join(dir, name+".sarif")
		c, _, errOut := cli(t, append([]string{command, "--format", "sarif", "-o", file}, args...)...)
		require.Equal(t, code, c, errOut)
		return file
	}

	tree := t.TempDir()
	secretTree(t, tree)
	write(t, filepath.Join(tree, "words", "a SECRET.txt"), "a SECRET\n\nand the SECRET again\n")
	write(t, filepath.Join(tree, "words", "fail.txt"), "FAIL\n")
	archives := t.TempDir()
	writeArchives(t, archives)
	shards := runShards(t, t.TempDir(), 3, "scan", "-s", "secrets", "-s", "failing", "--no-progress", tree)
	g := gittest.New(t)
	secretHistory(t, g)
	g.Git("remote", "add", "origin", "https://git.example.com/acme/app.git")
	history := filepath.Join(dir, "history.sarif")
	cmd := cliCommand("git", "--no-progress", "--format", "sarif", "-o", history, g.Dir)
	if b, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitFindings {
		t.Fatalf("forkscan git: %v\n%s", err, b)
	}

	logs := map[string]string{
		"findings and errors": sarifOf("scan", exitFailures, "scan", "--no-progress", "-s", "secrets", "-s", "failing", tree),
		"merged shards":       sarifOf("merged", exitFailures, "merge", shards...),
		"archive member":      sarifOf("archive", exitFindings, "scan", "--no-progress", "-s", "secrets", archives),
		"history":             history,
	}
	for name, file := range logs {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			require.NoError(t, sarifschema.Validate(data))
			require.NotContains(t, string(data), `": -1`, "no sentinel -1")
			wantRich(t, name, data)
			sarifschema.Passes(t, data)
		})
	}

	t.Run("the check can fail", func(t *testing.T) {
		data, err := os.ReadFile(logs["findings and errors"])
		require.NoError(t, err)
		broken := filepath.Join(dir, "broken.sarif")
		body := strings.Replace(string(data), `"artifactLocation": {`, `"artifactLocation": {"index": -1,`, 1)
		body = strings.Replace(body, `"fullDescription"`, `"fullDescriptionX"`, 1)
		require.NoError(t, os.WriteFile(broken, []byte(body), 0o644))
		found, err := sarifschema.Check(multitool, broken)
		require.NoError(t, err)
		rules := map[string]bool{}
		for _, p := range found {
			rules[p.Rule] = true
		}
		require.True(t, rules["SARIF2004"] && rules["GH2012"], "the validator sees a sentinel index and a rule with no full description: %v", found)
	})
}

// wantRich checks what the validator does not: every rule described and
// helped once, every result fingerprinted, the driver's versions and the
// run's category there.
func wantRich(t *testing.T, name string, data []byte) {
	t.Helper()
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name, Version, SemanticVersion, InformationURI, FullName string
					Rules                                                    []struct {
						ID, Name                          string
						ShortDescription, FullDescription struct{ Text string }
						Help                              struct{ Text, Markdown string }
						DefaultConfiguration              struct{ Level string }
						Properties                        map[string]any
					}
				}
			}
			AutomationDetails struct{ ID string }
			Results           []struct {
				RuleID              string
				RuleIndex           int
				PartialFingerprints map[string]string
			}
		}
	}
	require.NoError(t, json.Unmarshal(data, &log))
	run := log.Runs[0]
	d := run.Tool.Driver
	require.NotEmpty(t, d.Version)
	require.NotEmpty(t, d.SemanticVersion)
	require.NotEmpty(t, d.InformationURI)
	require.NotEmpty(t, d.FullName)
	require.NotEmpty(t, run.AutomationDetails.ID)
	require.NotEmpty(t, run.Results, name)
	ids := map[string]bool{}
	for _, r := range d.Rules {
		require.False(t, ids[r.ID], "rule %s twice", r.ID)
		ids[r.ID] = true
		require.NotEmpty(t, r.Name, r.ID)
		require.NotEmpty(t, r.ShortDescription.Text, r.ID)
		require.NotEmpty(t, r.FullDescription.Text, r.ID)
		require.NotEmpty(t, r.DefaultConfiguration.Level, r.ID)
		if r.ID == "secret-word" {
			require.Contains(t, r.Help.Markdown, "`secret-word`", r.ID)
			continue
		}
		require.Contains(t, r.Help.Text, "Revoke or rotate", r.ID)
		require.Contains(t, r.Help.Markdown, "history", r.ID)
		require.NotEmpty(t, r.Properties["security-severity"], r.ID)
		require.Contains(t, r.Properties["tags"], "security", r.ID)
	}
	prints := map[string]bool{}
	for _, r := range run.Results {
		require.Equal(t, r.RuleID, d.Rules[r.RuleIndex].ID)
		fp := r.PartialFingerprints["forkscan/v1"]
		require.NotEmpty(t, fp)
		require.False(t, prints[fp], "two results fingerprinted %s", fp)
		prints[fp] = true
	}
}
