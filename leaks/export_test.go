package leaks

// StripAt forgets where r was defined, for tests to compare rules.
func StripAt(r *Rule) *Rule {
	r.at = place{}
	return r
}

// ErrBeyond is wrapped by the errors of the checks gitleaks does not make.
var ErrBeyond = errBeyond
