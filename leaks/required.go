package leaks

// withRequired keeps the findings of r that have, near them, a finding of
// each rule r requires, and attaches those: gitleaks' multi-part rules.
// The required rules run over the same text, whatever their keywords.
func (s *scan) withRequired(r *rule, primary []Finding) ([]Finding, error) {
	if len(primary) == 0 {
		return nil, nil
	}
	byRule := map[string][]Finding{}
	for _, req := range r.Required {
		other, ok := s.d.byID[req.RuleID]
		if !ok {
			continue
		}
		found, err := s.rule(other, true)
		if err != nil {
			return nil, err
		}
		byRule[req.RuleID] = found
	}
	var out []Finding
	for _, p := range primary {
		var near []Finding
		have := map[string]bool{}
		for _, req := range r.Required {
			for _, f := range byRule[req.RuleID] {
				if within(p, f, req) {
					near = append(near, f)
					have[f.RuleID] = true
				}
			}
		}
		if len(near) > 0 && allRequired(have, r.Required) {
			p.Required = near
			out = append(out, p)
		}
	}
	return out, nil
}

func allRequired(have map[string]bool, required []Required) bool {
	for _, req := range required {
		if !have[req.RuleID] {
			return false
		}
	}
	return true
}

// within reports whether the required finding f is near p: in the same
// fragment, and within the lines and columns req allows.
func within(p, f Finding, req Required) bool {
	if req.WithinLines != nil && abs(p.StartLine-f.StartLine) > *req.WithinLines {
		return false
	}
	if req.WithinColumns != nil && abs(p.StartColumn-f.StartColumn) > *req.WithinColumns {
		return false
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
