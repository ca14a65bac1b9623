package leaks

import (
	"strings"
	"sync"
)

// allow is an allowlist compiled when first needed, its patterns matched
// as gitleaks' join of them (see anyOf).
type allow struct {
	*Allowlist
	once    sync.Once
	paths   anyOf
	regexes anyOf
	stops   *keywords
	commits map[string]bool
	err     error
	seen    pathMemo
}

func newAllow(a *Allowlist) *allow { return &allow{Allowlist: a} }

func (a *allow) compile() error {
	a.once.Do(func() {
		if len(a.Paths) > 0 {
			a.paths, a.err = compileAnyOf(a.Paths)
		}
		if len(a.Regexes) > 0 && a.err == nil {
			a.regexes, a.err = compileAnyOf(a.Regexes)
		}
		if len(a.StopWords) > 0 {
			a.stops = newKeywords(a.StopWords)
		}
		a.commits = make(map[string]bool, len(a.Commits))
		for _, c := range a.Commits {
			a.commits[c] = true
		}
	})
	return a.err
}

func (a *allow) commitAllowed(commit string) bool {
	return commit != "" && a.commits[strings.ToLower(commit)]
}

func (a *allow) pathAllowed(path string) bool {
	if path == "" || a.paths == nil {
		return false
	}
	if ok, known := a.seen.get(path); known {
		return ok
	}
	ok := a.paths.MatchString(path)
	a.seen.put(path, ok)
	return ok
}

// mostPaths bounds a pathMemo: past it, the memo starts again empty.
const mostPaths = 1 << 14

// pathMemo remembers which paths an allowlist's paths matched. A history
// names the same files commit after commit (trufflehog's: 83,000 changes
// of a few thousand paths), and each path is matched against every
// pattern once instead of once a change; a tree names each path once and
// costs the memo a map entry.
type pathMemo struct {
	mu sync.Mutex
	m  map[string]bool
}

func (p *pathMemo) get(path string) (ok, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok, known = p.m[path]
	return ok, known
}

func (p *pathMemo) put(path string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= mostPaths {
		p.m = make(map[string]bool)
	}
	p.m[strings.Clone(path)] = ok
}

func (a *allow) regexAllowed(s string) bool {
	return s != "" && a.regexes != nil && a.regexes.MatchString(s)
}

// stopWord reports whether the secret holds a stop word; gitleaks lowers
// the secret, so a stop word is found in it without case.
func (a *allow) stopWord(secret string) bool {
	if a.stops == nil || secret == "" {
		return false
	}
	if isASCII(secret) {
		return a.stops.any(secret)
	}
	return a.stops.any(strings.ToLower(secret))
}

// skipsFile reports whether the allowlist drops a whole fragment by its
// commit or path: any of the two for an OR allowlist; for an AND one,
// each of them it has, and only if it has no regexes and no stop words
// (those are checked on findings).
func (a *allow) skipsFile(f *Fragment) bool {
	if f.Path == "" && f.Commit == "" {
		return false
	}
	commit, path := a.commitAllowed(f.Commit), a.pathAllowed(f.Path)
	if !a.And {
		return commit || path
	}
	if len(a.Regexes) > 0 || len(a.StopWords) > 0 {
		return false
	}
	return (len(a.Commits) == 0 || commit) && (len(a.Paths) == 0 || path)
}

// skipsFinding reports whether the allowlist drops a finding: by its
// regexes (on the secret, the match or the line) or stop words for an OR
// allowlist; by every check it has for an AND one.
func (a *allow) skipsFinding(f *Finding, frag *Fragment, line string) bool {
	target := f.Secret
	switch a.RegexTarget {
	case "match":
		target = f.Match
	case "line":
		target = line
	}
	regex, stop := a.regexAllowed(target), a.stopWord(f.Secret)
	if !a.And {
		return regex || stop
	}
	return (len(a.Commits) == 0 || a.commitAllowed(frag.Commit)) &&
		(len(a.Paths) == 0 || a.pathAllowed(frag.Path)) &&
		(len(a.Regexes) == 0 || regex) &&
		(len(a.StopWords) == 0 || stop)
}
