package external

import (
	"fmt"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/forkscan/forkscan/worker/scan"
)

// ParseSARIF reads the findings of a SARIF 2.1.0 log (semgrep --sarif,
// eslint's SARIF formatter, CodeQL, newer bandit): each result of each run
// is a finding with its rule, message, first location's region (line,
// column, end) and level as its severity ("error", "warning", "note"; the
// rule's default level when the result gives none, else SARIF's default,
// "warning"). Empty output is no findings; anything else that is not a
// SARIF log is an error quoting its first bytes.
func ParseSARIF(out []byte) ([]scan.Finding, error) {
	found, err := parseSARIF(out)
	return findingsOf(found), err
}

// parseSARIF is ParseSARIF, each finding with the file its first location
// names (the artifact location's URI).
func parseSARIF(out []byte) ([]located, error) {
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil
	}
	log, err := sarif.FromBytes(out)
	if err != nil {
		return nil, fmt.Errorf("printed invalid SARIF (%v); its first bytes: %q", err, out[:min(len(out), quoted)])
	}
	var found []located
	for _, run := range log.Runs {
		if run == nil {
			continue
		}
		levels := ruleLevels(run)
		for _, r := range run.Results {
			if r != nil {
				found = append(found, sarifFinding(r, levels))
			}
		}
	}
	return found, nil
}

// ruleLevels maps the run's rules to their default levels.
func ruleLevels(run *sarif.Run) map[string]string {
	levels := map[string]string{}
	if run.Tool == nil || run.Tool.Driver == nil {
		return levels
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule != nil && rule.ID != nil && rule.DefaultConfiguration != nil && rule.DefaultConfiguration.Level != "" {
			levels[*rule.ID] = rule.DefaultConfiguration.Level
		}
	}
	return levels
}

func sarifFinding(r *sarif.Result, levels map[string]string) located {
	f := scan.Finding{Rule: deref(r.RuleID), Severity: scan.Severity(r.Level)}
	if f.Rule == "" && r.Rule != nil {
		f.Rule = deref(r.Rule.ID)
	}
	if f.Rule == "" {
		f.Rule = "finding"
	}
	if f.Severity == "" {
		f.Severity = scan.Severity(levels[f.Rule])
	}
	if f.Severity == "" {
		f.Severity = "warning"
	}
	if r.Message != nil {
		f.Message = deref(r.Message.Text)
	}
	file := ""
	if len(r.Locations) > 0 && r.Locations[0] != nil && r.Locations[0].PhysicalLocation != nil {
		loc := r.Locations[0].PhysicalLocation
		if reg := loc.Region; reg != nil {
			f.Line, f.Column = deref(reg.StartLine), deref(reg.StartColumn)
			f.EndLine, f.EndColumn = deref(reg.EndLine), deref(reg.EndColumn)
		}
		if loc.ArtifactLocation != nil {
			file = deref(loc.ArtifactLocation.URI)
		}
	}
	return located{file, f}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
