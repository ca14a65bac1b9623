package external

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/forkscan/forkscan/worker/scan"
)

// quoted is how many of a tool's first bytes an invalid-JSON error quotes.
const quoted = 200

// Parse reads the findings a tool printed as JSON. It takes what common
// tools print: an array of finding objects; an object that holds them
// under "results", "findings", "issues", "vulnerabilities" or "matches"
// (semgrep, bandit, gosec, ...); or JSON lines, one finding object per
// line (trufflehog). Empty output is no findings. Each object's fields are
// read by the names tools give them:
//
//	rule      rule, rule_id, ruleId, check_id, test_id, RuleID, id, DetectorName
//	message   message, issue_text, description, details, Description, extra.message
//	line      line, line_number, start_line, StartLine, start.line, location.line
//	column    column, col, start_column, StartColumn, start.col, start.column
//	severity  severity, issue_severity, level, extra.severity
//	match     match, code, Match, extra.lines
//
// (shellcheck's -f json1 holds them under "comments", its check number as
// "code": the rule SC2086.)
//
// Invalid JSON is an error that quotes the first bytes the tool printed.
func Parse(out []byte) ([]scan.Finding, error) {
	found, err := parseJSON(out)
	return findingsOf(found), err
}

// located is a finding a tool printed, with the file it names: "" when
// it names none.
type located struct {
	file    string
	finding scan.Finding
}

func findingsOf(found []located) []scan.Finding {
	if found == nil {
		return nil
	}
	out := make([]scan.Finding, len(found))
	for i, l := range found {
		out[i] = l.finding
	}
	return out
}

// parseJSON is Parse, each finding with the file it names (read from
// filename, file, path, File, location.file, location.path or extra.path).
func parseJSON(out []byte) ([]located, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var found []located
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return nil, fmt.Errorf("printed invalid JSON (%v); its first bytes: %q", err, out[:min(len(out), quoted)])
		}
		found = append(found, findingsIn(v)...)
	}
}

var listKeys = []string{"results", "findings", "issues", "vulnerabilities", "matches", "comments"}

func findingsIn(v any) []located {
	switch v := v.(type) {
	case []any:
		var out []located
		for _, item := range v {
			if obj, ok := item.(map[string]any); ok {
				out = append(out, finding(obj))
			}
		}
		return out
	case map[string]any:
		for _, k := range listKeys {
			if list, ok := v[k].([]any); ok {
				return findingsIn(list)
			}
		}
		return []located{finding(v)}
	}
	return nil
}

func finding(obj map[string]any) located {
	f := scan.Finding{
		Rule:      text(obj, "rule", "rule_id", "ruleId", "check_id", "test_id", "RuleID", "id", "DetectorName"),
		Message:   text(obj, "message", "issue_text", "description", "details", "Description", "extra.message"),
		Line:      number(obj, "line", "line_number", "start_line", "StartLine", "start.line", "location.line"),
		Column:    number(obj, "column", "col", "start_column", "StartColumn", "start.col", "start.column"),
		EndLine:   number(obj, "end_line", "EndLine", "endLine", "end.line"),
		EndColumn: number(obj, "end_column", "EndColumn", "endColumn", "end.col"),
		Severity:  scan.Severity(strings.ToLower(text(obj, "severity", "issue_severity", "level", "extra.severity"))),
		Match:     text(obj, "match", "code", "Match", "extra.lines"),
	}
	if code, ok := obj["code"].(json.Number); ok { // shellcheck's numbered checks: SC2086
		f.Rule, f.Match = cmp.Or(f.Rule, "SC"+code.String()), ""
	}
	if f.Rule == "" {
		f.Rule = "finding"
	}
	return located{text(obj, "filename", "file", "path", "File", "location.file", "location.path", "extra.path"), f}
}

// lookup finds the first of paths ("a.b" descends into objects) in obj.
func lookup(obj map[string]any, paths ...string) any {
	for _, p := range paths {
		var cur any = obj
		for _, k := range strings.Split(p, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[k]
		}
		if cur != nil {
			return cur
		}
	}
	return nil
}

func text(obj map[string]any, paths ...string) string {
	switch v := lookup(obj, paths...).(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func number(obj map[string]any, paths ...string) int {
	switch v := lookup(obj, paths...).(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}
