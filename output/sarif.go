package output

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/forkscan/forkscan/record"
)

// sarifFormat writes one SARIF 2.1.0 log at the end of the run: a run of
// the tool "forkscan" whose results are the findings, and whose invocation
// lists every error record as a tool execution notification. SARIF is one
// JSON document, so nothing is written before the end; memory grows with
// the findings, not with the files.
type sarifFormat struct {
	run    *sarif.Run
	inv    *sarif.Invocation
	single bool // one root: locations are relative to it
}

func newSARIF(roots []string, shard *record.ShardHeader, repo *Repository) *sarifFormat {
	s := &sarifFormat{
		run:    sarif.NewRunWithInformationURI("forkscan", "https://github.com/forkscan/forkscan"),
		inv:    sarif.NewInvocation().WithExecutionSuccessful(true),
		single: len(roots) == 1,
	}
	s.run.AddInvocation(s.inv)
	if repo != nil && repo.URI != "" {
		vc := sarif.NewVersionControlDetails().WithRepositoryURI(repo.URI)
		if repo.Revision != "" {
			vc.WithRevisionID(repo.Revision)
		}
		if repo.Branch != "" {
			vc.WithBranch(repo.Branch)
		}
		s.run.AddVersionControlProvenance(vc)
	}
	if shard != nil {
		// What the shard is, where code-scanning services keep a run's
		// facts; the id keeps two shards' uploads apart.
		bag := sarif.NewPropertyBag()
		bag.Properties["forkscan"] = map[string]any{
			"shard": shard.String(), "split": shard.Split, "roots": shard.Roots, "scanners": shard.Scanners,
			"settings": shard.Settings, "version": shard.Version, "state": record.Interrupted,
		}
		s.run.WithProperties(bag)
		s.run.WithAutomationDetails(sarif.NewRunAutomationDetails().WithID(fmt.Sprintf("forkscan/shard-%d-of-%d/", shard.Shard, shard.Shards)))
	}
	return s
}

func (s *sarifFormat) add(_ *bytes.Buffer, rec record.Record, _ *File) error {
	loc := s.location(rec)
	for _, f := range rec.Findings {
		rule := s.run.AddRule(f.Rule)
		if f.Message != "" && rule.ShortDescription == nil {
			rule.WithDescription(f.Message)
		}
		region := sarif.NewRegion()
		if f.Line > 0 {
			region.WithStartLine(f.Line)
			if f.EndLine >= f.Line {
				region.WithEndLine(f.EndLine)
			}
			if f.Column > 0 {
				region.WithStartColumn(f.Column)
			}
			if f.EndColumn > 0 && (f.EndLine > f.Line || f.EndColumn >= f.Column) {
				region.WithEndColumn(f.EndColumn)
			}
		}
		msg := f.Message
		if msg == "" {
			msg = f.Rule
		}
		res := s.run.CreateResultForRule(f.Rule).WithLevel(level(f.Severity)).
			WithMessage(sarif.NewTextMessage(msg + " (" + rec.Scanner + ")"))
		at := loc
		if f.File != "" {
			at = s.changed(rec, f.File)
		}
		phys := sarif.NewPhysicalLocation().WithArtifactLocation(member(at, f.Member))
		if f.Line > 0 {
			phys.WithRegion(region)
		}
		res.AddLocation(sarif.NewLocation().WithPhysicalLocation(phys))
		if rec.Commit != nil {
			inCommit(res, rec.Commit)
		}
	}
	if rec.Error != nil {
		s.inv.WithExecutionSuccessful(false)
		s.inv.AddToolExecutionNotification(sarif.NewNotification().WithLevel("error").
			WithMessage(sarif.NewTextMessage(rec.Scanner + ": " + rec.Error.Error())).
			AddLocation(sarif.NewLocation().WithPhysicalLocation(sarif.NewPhysicalLocation().WithArtifactLocation(loc))))
	}
	return nil
}

func (s *sarifFormat) end(buf *bytes.Buffer, shard *record.ShardEnd) error {
	if props, ok := s.props(); ok && shard != nil {
		props["state"], props["files"], props["bytes"] = shard.State, shard.Files, shard.Bytes
		if shard.Tree != "" {
			props["tree"] = shard.Tree
		}
	}
	rep := sarif.NewReport()
	rep.AddRun(s.run)
	if err := rep.PrettyWrite(buf); err != nil {
		return err
	}
	if buf.Len() > 0 && buf.Bytes()[buf.Len()-1] != '\n' {
		buf.WriteByte('\n') // a text file ends with a newline
	}
	return nil
}

// props is the run's forkscan properties, if it has them.
func (s *sarifFormat) props() (map[string]any, bool) {
	if s.run.Properties == nil {
		return nil, false
	}
	p, ok := s.run.Properties.Properties["forkscan"].(map[string]any)
	return p, ok
}

// location names a record's file: relative to the root when the run has
// one, as code-scanning services expect, and an absolute file URI
// otherwise.
func (s *sarifFormat) location(rec record.Record) *sarif.ArtifactLocation {
	if s.single && rec.Root != "" {
		return sarif.NewArtifactLocation().WithURI((&url.URL{Path: filepath.ToSlash(rec.Path)}).String())
	}
	abs, err := filepath.Abs(rec.Name())
	if err != nil {
		abs = rec.Name()
	}
	return sarif.NewArtifactLocation().WithURI((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
}

// changed is where a finding in a commit's change is: the file's path
// in the repository, as for a file of a tree.
func (s *sarifFormat) changed(rec record.Record, file string) *sarif.ArtifactLocation {
	rec.Path = file
	return s.location(rec)
}

// inCommit says which commit a result was found in: its properties name
// the commit, its author and date (as gitleaks' SARIF does), and a
// partial fingerprint keeps a secret added in two commits two results.
func inCommit(res *sarif.Result, c *record.Commit) {
	bag := sarif.NewPropertyBag()
	bag.Properties["commit"] = c.ID
	if c.Author != "" {
		bag.Properties["author"], bag.Properties["email"] = c.Author, c.Email
	}
	if !c.Date.IsZero() {
		bag.Properties["date"] = c.Date.Format(time.RFC3339)
	}
	if c.Message != "" {
		bag.Properties["message"] = c.Message
	}
	res.WithProperties(bag)
	res.WithPartialFingerprints(map[string]string{"commitSha": c.ID})
}

// member is where a finding in an archive's member is: the archive's
// location and "!" and the member's path, as gitleaks writes it; loc
// itself for a finding in the file.
func member(loc *sarif.ArtifactLocation, path string) *sarif.ArtifactLocation {
	if path == "" {
		return loc
	}
	uri := *loc.URI
	for seg := range strings.SplitSeq(path, "!") { // each escaped, the "!"s kept
		uri += "!" + strings.TrimPrefix((&url.URL{Path: seg}).EscapedPath(), "./")
	}
	return sarif.NewArtifactLocation().WithURI(uri)
}

// level maps a finding's severity to a SARIF level.
func level(severity record.Severity) string {
	switch severity {
	case "critical", "high", "error":
		return "error"
	case "low", "info", "note":
		return "note"
	}
	return "warning"
}
