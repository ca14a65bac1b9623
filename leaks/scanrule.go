package leaks

import "strings"

// rule runs one rule over this pass's text, as gitleaks' detectRule:
// required is set when the rule runs for another rule that requires it.
func (s *scan) rule(r *rule, required bool) ([]Finding, error) {
	if r.SkipReport && !required {
		return nil, nil
	}
	if err := r.compile(len(s.d.words.words)); err != nil {
		return nil, err
	}
	for _, a := range r.allows {
		if a.skipsFile(s.frag) {
			return nil, nil
		}
	}
	if r.path != nil {
		if r.match == nil && len(s.segs) == 0 {
			if r.path.MatchString(s.frag.Path) {
				return []Finding{s.pathFinding(r)}, nil
			}
			return nil, nil
		}
		if !r.path.MatchString(s.frag.Path) {
			return nil, nil
		}
	}
	if r.match == nil {
		return nil, nil
	}
	var found []Finding
	for _, m := range r.match.findAll(s.cur) {
		if f, ok := s.finding(r, m[0], m[1]); ok {
			found = append(found, f)
		}
	}
	if required || len(r.Required) == 0 {
		return found, nil
	}
	return s.withRequired(r, found)
}

func (s *scan) pathFinding(r *rule) Finding {
	return Finding{
		RuleID: r.ID, Description: r.Description, File: s.frag.Path,
		Match: "file detected: " + s.frag.Path, Tags: r.Tags,
	}
}

// finding makes the finding of the match [start,end) of this pass's text,
// or says there is none: a match in decoded text that lies outside what
// this pass decoded was found before; allow comments, a secret's low
// entropy and allowlists drop a finding.
func (s *scan) finding(r *rule, start, end int) (Finding, bool) {
	secret := strings.Trim(s.cur.s[start:end], "\n")
	var tags []string
	line := ""
	if len(s.segs) > 0 {
		segs := overlapping(s.segs, start, end)
		if len(segs) == 0 {
			return Finding{}, false
		}
		start, end = originalSpan(segs, start, end)
		tags = segmentTags(segs)
		line = segmentsLine(segs, s.cur.s)
	} else {
		end = start + len(secret)
	}
	raw := s.frag.Raw
	p := locate(s.raw.lines(), raw, start, end)
	if end > p.lineEnd {
		p.lineEnd = end
	}
	f := Finding{
		RuleID: r.ID, Description: r.Description,
		StartLine: s.frag.StartLine + p.startLine, EndLine: s.frag.StartLine + p.endLine,
		StartColumn: p.startColumn, EndColumn: p.endColumn,
		Line: raw[p.lineStart:p.lineEnd], Match: secret, Secret: secret, File: s.frag.Path,
		Tags: append(r.Tags[:len(r.Tags):len(r.Tags)], tags...),
	}
	if !s.d.IgnoreAllowComments && strings.Contains(f.Line, allowComment) {
		return Finding{}, false
	}
	if line == "" {
		line = f.Line
	}
	var ok bool
	if f.Secret, ok = secretOf(r, f.Secret); !ok {
		return Finding{}, false
	}
	e := entropy(f.Secret)
	f.Entropy = float32(e)
	if r.Entropy != 0 && e <= r.Entropy {
		return Finding{}, false
	}
	return f, !s.allowed(r, &f, line)
}

// secretOf is the secret in a match: the rule's secret group, or its first
// non-empty group, found by running the expression again on the match
// alone, as gitleaks does; the whole match if it has no groups. A secret
// group the expression does not have drops the finding (ok false).
func secretOf(r *rule, match string) (secret string, ok bool) {
	groups := r.match.re.FindStringSubmatch(match)
	if len(groups) < 2 {
		return match, true
	}
	if r.SecretGroup > 0 {
		if r.SecretGroup < len(groups) {
			return groups[r.SecretGroup], true
		}
		return "", false
	}
	for _, g := range groups[1:] {
		if g != "" {
			return g, true
		}
	}
	return match, true
}

// allowed reports whether a global allowlist or one of the rule's drops f.
func (s *scan) allowed(r *rule, f *Finding, line string) bool {
	for _, a := range s.d.global {
		if a.skipsFinding(f, s.frag, line) {
			return true
		}
	}
	for _, a := range r.allows {
		if a.skipsFinding(f, s.frag, line) {
			return true
		}
	}
	return false
}
