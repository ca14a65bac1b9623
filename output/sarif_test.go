package output_test

import (
	"encoding/json"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/sarifschema"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
)

// sarifLog is what the SARIF tests read back of a log.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version, SemanticVersion string
				Rules                    []struct {
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

func readSARIF(t *testing.T, out string) sarifLog {
	t.Helper()
	require.NoError(t, sarifschema.Validate([]byte(out)))
	require.NotContains(t, out, `": -1`, "no sentinel -1")
	var log sarifLog
	require.NoError(t, json.Unmarshal([]byte(out), &log))
	require.Len(t, log.Runs, 1)
	return log
}

// TestSARIFRules: a rule is described once however many scanners and
// findings name it, with a name that is not its id, a help with what to
// do (a secret's: revoke it, take it out of the history), a default level,
// and, for a secret, GitHub's security tags and severity.
func TestSARIFRules(t *testing.T) {
	secret := record.Finding{Rule: "github-pat", Message: "Uncovered a GitHub Personal Access Token.", Line: 2, Severity: record.SeverityHigh, Match: `token = "REDACTED"`}
	recs := []record.Record{
		ok("a.env", "secrets", secret, secret),
		ok("b.env", "secrets", secret),
		ok("c.py", "bandit", record.Finding{Rule: "B105", Message: "Possible hardcoded password: 'x'", Line: 1, Severity: record.SeverityLow}),
		ok("d.py", "other", record.Finding{Rule: "B105", Message: "something else", Line: 1}),
		ok("e.sh", "shellcheck", record.Finding{Rule: "SC2086", Line: 3}),
	}
	out, _ := write(t, output.SARIF, output.Options{Roots: []string{"/r"}}, recs, make([]*output.File, len(recs)))
	log := readSARIF(t, out)
	rules := log.Runs[0].Tool.Driver.Rules
	require.Len(t, rules, 3, "one descriptor a rule id")
	byID := map[string]int{}
	for i, r := range rules {
		byID[r.ID] = i
		require.NotEqual(t, r.ID, r.Name)
		require.NotEmpty(t, r.ShortDescription.Text)
		require.NotEmpty(t, r.FullDescription.Text)
		require.NotEmpty(t, r.Help.Text)
		require.NotEmpty(t, r.Help.Markdown)
		require.NotEmpty(t, r.DefaultConfiguration.Level)
	}
	pat := rules[byID["github-pat"]]
	require.Equal(t, "GithubPat", pat.Name)
	require.Equal(t, "error", pat.DefaultConfiguration.Level)
	require.Equal(t, "8.0", pat.Properties["security-severity"])
	require.Contains(t, pat.Properties["tags"], "security")
	require.Contains(t, pat.Help.Text, "Uncovered a GitHub Personal Access Token.")
	require.Contains(t, pat.Help.Text, "Revoke or rotate")
	require.Contains(t, pat.Help.Markdown, "`git filter-repo`")
	b105 := rules[byID["B105"]]
	require.Equal(t, "BanditB105", b105.Name)
	require.Equal(t, "Possible hardcoded password: 'x'.", b105.FullDescription.Text, "what the tool says of it")
	require.NotContains(t, b105.Properties, "security-severity")
	require.Equal(t, "ShellcheckSC2086", rules[byID["SC2086"]].Name)
	for _, r := range log.Runs[0].Results {
		require.Equal(t, r.RuleID, rules[r.RuleIndex].ID)
	}
}

// TestSARIFFingerprints: a result's forkscan/v1 fingerprint names what
// was found, not the line: a finding that moves keeps it; the same
// finding twice in a file, another file, another commit are told apart.
func TestSARIFFingerprints(t *testing.T) {
	at := func(line int, match string) record.Finding {
		return record.Finding{Rule: "k", Line: line, Column: 4, Match: match}
	}
	prints := func(recs ...record.Record) []string {
		out, _ := write(t, output.SARIF, output.Options{Roots: []string{"/r"}}, recs, make([]*output.File, len(recs)))
		var fps []string
		for _, r := range readSARIF(t, out).Runs[0].Results {
			fps = append(fps, r.PartialFingerprints["forkscan/v1"])
		}
		return fps
	}
	before := prints(ok("a.env", "s", at(3, "key=1"), at(9, "key=1"), at(12, "key=2")), ok("b.env", "s", at(3, "key=1")))
	after := prints(ok("a.env", "s", at(13, "key=1"), at(19, "key=1"), at(22, "key=2")), ok("b.env", "s", at(1, "key=1")))
	require.Equal(t, before, after, "moved down, the same fingerprints")
	require.Len(t, before, 4)
	seen := map[string]bool{}
	for _, fp := range before {
		require.False(t, seen[fp], "two findings share %s: %v", fp, before)
		seen[fp] = true
	}

	inCommit := func(id string) record.Record {
		r := ok("a.env", "s", at(3, "key=1"))
		r.Commit = &record.Commit{ID: id}
		return r
	}
	commits := prints(inCommit("1111111111111111111111111111111111111111"), inCommit("2222222222222222222222222222222222222222"))
	require.NotEqual(t, commits[0], commits[1], "the same secret in two commits is two results")
}

// TestSARIFDriver: the driver states a version and a semantic version
// (a release's as given, a source build's 0.0.0-devel), and the run the
// category a code-scanning service files it under: a tree's, a history's
// and each shard's apart.
func TestSARIFDriver(t *testing.T) {
	cases := []struct {
		name                    string
		o                       output.Options
		version, semantic, auto string
	}{
		{"release", output.Options{Version: "v1.4.2"}, "1.4.2", "1.4.2", "forkscan/scan/"},
		{"source build", output.Options{Version: "(devel)"}, "", "", "forkscan/scan/"},
		{"history", output.Options{Version: "v1.4.2", Repository: &output.Repository{URI: "https://example.com/r.git"}}, "1.4.2", "1.4.2", "forkscan/git/"},
		{"shard", output.Options{Version: "v1.4.2", Shard: &record.ShardHeader{Shard: 2, Shards: 4}}, "1.4.2", "1.4.2", "forkscan/shard-2-of-4/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _ := write(t, output.SARIF, c.o, nil, nil)
			log := readSARIF(t, out)
			d := log.Runs[0].Tool.Driver
			_, err := semver.StrictNewVersion(d.SemanticVersion)
			require.NoError(t, err, "semanticVersion %q", d.SemanticVersion)
			require.Regexp(t, "^[0-9]", d.Version, "a version that starts with a number (the validator's SARIF2005)")
			if c.version != "" {
				require.Equal(t, c.version, d.Version)
				require.Equal(t, c.semantic, d.SemanticVersion)
			} else {
				require.Contains(t, d.SemanticVersion, "0.0.0-devel")
			}
			require.Equal(t, c.auto, log.Runs[0].AutomationDetails.ID)
		})
	}
}
