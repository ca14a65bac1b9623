package output

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/forkscan/forkscan/record"
)

// sarifFormat writes one SARIF 2.1.0 log at the end of the run: a run of
// the tool "forkscan" whose results are the findings, each rule described
// once, and whose invocation lists every error record as a tool execution
// notification. SARIF is one JSON document, so nothing is written before
// the end; memory grows with the findings, not with the files.
type sarifFormat struct {
	run    sarifRun
	inv    *sarifInvocation
	rules  rules
	prints fingerprints
	single bool // one root: locations are relative to it
}

func newSARIF(o Options) *sarifFormat {
	given, version := driverVersion(o.Version)
	s := &sarifFormat{
		inv:    &sarifInvocation{ExecutionSuccessful: true},
		prints: fingerprints{},
		single: len(o.Roots) == 1,
	}
	s.run = sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "forkscan", FullName: "forkscan " + given, Version: version, SemanticVersion: version,
			InformationURI: "https://github.com/forkscan/forkscan",
		}},
		Invocations: []*sarifInvocation{s.inv},
		Results:     []sarifResult{},
		// The category a code-scanning service files the run's results
		// under: a tree's and a history's apart, each shard's apart.
		AutomationDetails: sarifAutomation{ID: "forkscan/scan/"},
	}
	if s.single && o.Repository == nil {
		// Where the root was, for a reader on the machine that scanned.
		if abs, err := filepath.Abs(o.Roots[0]); err == nil {
			uri := (&url.URL{Scheme: "file", Path: strings.TrimSuffix(filepath.ToSlash(abs), "/") + "/"}).String()
			s.run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: uri}}
		}
	}
	if repo := o.Repository; repo != nil {
		s.run.AutomationDetails.ID = "forkscan/git/"
		if repo.URI != "" {
			s.run.VersionControlProvenance = []sarifVersionControl{{
				RepositoryURI: repo.URI, RevisionID: repo.Revision, Branch: repo.Branch, MappedTo: sarifArtifact{URIBaseID: srcRoot},
			}}
		}
	}
	if shard := o.Shard; shard != nil {
		// What the shard is, where code-scanning services keep a run's
		// facts; the id keeps two shards' uploads apart.
		s.run.Properties = map[string]any{"forkscan": map[string]any{
			"shard": shard.String(), "split": shard.Split, "roots": shard.Roots, "scanners": shard.Scanners,
			"settings": shard.Settings, "version": shard.Version, "state": record.Interrupted,
		}}
		s.run.AutomationDetails.ID = fmt.Sprintf("forkscan/shard-%d-of-%d/", shard.Shard, shard.Shards)
	}
	return s
}

func (s *sarifFormat) add(_ *bytes.Buffer, rec record.Record, _ *File) error {
	loc := s.location(rec)
	commit := ""
	if rec.Commit != nil {
		commit = rec.Commit.ID
	}
	for _, f := range rec.Findings {
		at := loc
		if f.File != "" {
			at = s.changed(rec, f.File)
		}
		at = member(at, f.Member)
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: s.rules.of(rec.Scanner, f), Level: level(f.Severity),
			Message:             sarifText{sentence(strings.TrimSuffix(cmp.Or(strings.TrimSpace(f.Message), f.Rule), ".") + " (" + rec.Scanner + ")")},
			Locations:           []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: at, Region: region(f)}}},
			PartialFingerprints: s.prints.of(f.Rule, at.URI, commit, f),
		}
		if rec.Commit != nil {
			res.Properties = inCommit(rec.Commit)
		}
		s.run.Results = append(s.run.Results, res)
	}
	if rec.Error != nil {
		s.inv.ExecutionSuccessful = false
		s.inv.ToolExecutionNotifications = append(s.inv.ToolExecutionNotifications, sarifNotification{
			Level:     "error",
			Message:   sarifText{sentence(rec.Scanner + ": " + rec.Error.Error())},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: loc}}},
		})
	}
	return nil
}

// region is where in its file a finding is; nil if the scanner did not
// say.
func region(f record.Finding) *sarifRegion {
	if f.Line <= 0 {
		return nil
	}
	r := &sarifRegion{StartLine: f.Line}
	if f.EndLine >= f.Line {
		r.EndLine = f.EndLine
	}
	if f.Column > 0 {
		r.StartColumn = f.Column
	}
	if f.EndColumn > 0 && (f.EndLine > f.Line || f.EndColumn >= f.Column) {
		r.EndColumn = f.EndColumn
	}
	if f.Match != "" {
		r.Snippet = &sarifText{f.Match}
	}
	return r
}

func (s *sarifFormat) end(buf *bytes.Buffer, shard *record.ShardEnd) error {
	if props, ok := s.props(); ok && shard != nil {
		props["state"], props["files"], props["bytes"] = shard.State, shard.Files, shard.Bytes
		if shard.Tree != "" {
			props["tree"] = shard.Tree
		}
	}
	s.run.Tool.Driver.Rules = s.rules.list
	if s.run.Tool.Driver.Rules == nil {
		s.run.Tool.Driver.Rules = []sarifRule{}
	}
	enc := json.NewEncoder(buf) // ends with a newline, as a text file does
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: sarifVersion, Schema: sarifSchema, Runs: []sarifRun{s.run}})
}

// props is the run's forkscan properties, if it has them.
func (s *sarifFormat) props() (map[string]any, bool) {
	p, ok := s.run.Properties["forkscan"].(map[string]any)
	return p, ok
}

// location names a record's file: relative to the root when the run has
// one, as code-scanning services expect, and an absolute file URI
// otherwise.
func (s *sarifFormat) location(rec record.Record) sarifArtifact {
	if s.single && rec.Root != "" {
		return sarifArtifact{URI: (&url.URL{Path: filepath.ToSlash(rec.Path)}).String(), URIBaseID: srcRoot}
	}
	abs, err := filepath.Abs(rec.Name())
	if err != nil {
		abs = rec.Name()
	}
	return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()}
}

// changed is where a finding in a commit's change is: the file's path
// in the repository, as for a file of a tree.
func (s *sarifFormat) changed(rec record.Record, file string) sarifArtifact {
	rec.Path = file
	return s.location(rec)
}

// inCommit says which commit a result was found in: its properties name
// the commit, its author and date (as gitleaks' SARIF does); its partial
// fingerprints name the commit too, so a secret added in two commits is
// two results.
func inCommit(c *record.Commit) map[string]any {
	props := map[string]any{"commit": c.ID}
	if c.Author != "" {
		props["author"], props["email"] = c.Author, c.Email
	}
	if !c.Date.IsZero() {
		props["date"] = c.Date.Format(time.RFC3339)
	}
	if c.Message != "" {
		props["message"] = c.Message
	}
	return props
}

// member is where a finding in an archive's member is: the archive's
// location and "!" and the member's path, as gitleaks writes it; loc
// itself for a finding in the file.
func member(loc sarifArtifact, path string) sarifArtifact {
	if path == "" {
		return loc
	}
	uri := loc.URI
	for seg := range strings.SplitSeq(path, "!") { // each escaped, the "!"s kept
		uri += "!" + strings.TrimPrefix((&url.URL{Path: seg}).EscapedPath(), "./")
	}
	return sarifArtifact{URI: uri, URIBaseID: loc.URIBaseID}
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
