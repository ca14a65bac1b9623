// Package secrets registers the "secrets" scanner: forkscan's own secrets
// detector (package leaks) run over each file the way `gitleaks dir` runs
// its detector — gitleaks' rule set (the default one, or a gitleaks TOML
// config), the same path allowlists, the same test for binary files, the
// same fragments of large files and the same decoding passes — so that on
// the same tree it reports the same findings (file, line, column, rule).
//
// Where gitleaks collects every finding of a run in the detector until the
// end, this scanner hands each file's findings back with its result and
// keeps nothing: a worker's memory does not grow with the findings of the
// run. Each worker process builds its detector once; the detector compiles
// a rule's expressions when the rule first runs, so a worker is ready at
// once.
//
// Import it for its side effect:
//
//	import _ "github.com/forkscan/forkscan/worker/scan/secrets"
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"github.com/forkscan/forkscan/leaks"
	"github.com/forkscan/forkscan/worker/scan"
)

// Name is the scanner's registered name.
const Name = "secrets"

func init() {
	scan.Register(scan.Def{
		Name:    Name,
		Doc:     "secrets and credentials, with gitleaks' rules (the default set or --secrets-config)",
		Content: true,
		Binary:  true, // gitleaks' own test for binary files decides, as in `gitleaks dir`
		History: true, // and a commit's added lines, as `gitleaks git`
		NewWith: func(options []byte) (scan.Scanner, error) {
			var o Options
			if len(options) > 0 {
				if err := json.Unmarshal(options, &o); err != nil {
					return nil, fmt.Errorf("secrets: options: %w", err)
				}
			}
			return New(o)
		},
	})
}

// Options configure the scanner. The zero value is gitleaks' default rule
// set with secrets redacted. The engine carries them to the workers as
// JSON (engine.Config.ScannerOptions["secrets"], see Options.Encode).
type Options struct {
	// Config is a gitleaks TOML configuration, as text; empty for
	// gitleaks' default rule set.
	Config string `json:"config,omitempty"`
	// ConfigPath is the file Config was read from; that file is not
	// scanned, as gitleaks does not scan its own config.
	ConfigPath string `json:"config_path,omitempty"`
	// Files are the texts of the files Config extends ([extend] path), by
	// the name Config gives each, read by Find: loading Config reads them
	// from here, never from the disk.
	Files map[string]string `json:"files,omitempty"`
	// NoRedact shows secrets in findings; by default they read "REDACTED".
	NoRedact bool `json:"no_redact,omitempty"`
	// Ignore lists fingerprints to drop, as in a .gitleaksignore file:
	// "path:rule-id:line", the path as the file's name (scan.File.Name) or
	// relative to its root (scan.File.Path).
	Ignore []string `json:"ignore,omitempty"`
	// Checked says Config was checked whole (Find checks it): New then
	// leaves each rule's expressions to compile when it first runs. If
	// false, New compiles them all, so a mistake in any is its error.
	Checked bool `json:"checked,omitempty"`
	// MaxDecodeDepth is how many decoding passes (base64, hex, percent
	// encoding) run over each file. If zero, 5, gitleaks' default;
	// negative: none.
	MaxDecodeDepth int `json:"max_decode_depth,omitempty"`
}

// Encode returns o as the scanner reads its options.
func (o Options) Encode() []byte {
	b, _ := json.Marshal(o) // plain fields: cannot fail
	return b
}

// Scanner is the secrets scanner of one worker process.
type Scanner struct {
	opts     Options
	detector *leaks.Detector
	ignore   map[string]bool
	dirs     dirCache
}

// New builds a scanner from its options. An invalid configuration is an
// INVALID_INPUT *scan.Error.
func New(o Options) (*Scanner, error) {
	cfg, err := LoadConfig(o.Config, o.Files)
	if err != nil {
		return nil, err
	}
	if o.Config != "" && !o.Checked {
		if err := cfg.Check(); err != nil {
			return nil, scan.Errorf(scan.InvalidInput, "%w", err)
		}
	}
	d := leaks.New(cfg)
	switch {
	case o.MaxDecodeDepth == 0:
		d.MaxDecodeDepth = 5
	case o.MaxDecodeDepth > 0:
		d.MaxDecodeDepth = o.MaxDecodeDepth
	}
	s := &Scanner{opts: o, detector: d, ignore: make(map[string]bool)}
	for _, fp := range o.Ignore {
		s.ignore[fp] = true
	}
	return s, nil
}

// LoadConfig parses a gitleaks TOML configuration ("" for the default rule
// set), with the texts of the files it extends by the names it gives them
// (see Options.Files; an [extend] path not among them is an error). An
// invalid one is an INVALID_INPUT *scan.Error saying what is wrong. It
// does not compile the rules' expressions (Check does).
func LoadConfig(text string, files map[string]string) (*leaks.Config, error) {
	if text == "" {
		c, err := leaks.Default()
		if err != nil {
			return nil, scan.Errorf(scan.ToolError, "gitleaks' default config: %w", err)
		}
		return c, nil
	}
	if name := extendPath(text); name != "" {
		if _, ok := files[name]; !ok {
			return nil, scan.Errorf(scan.InvalidInput, "gitleaks config: it extends %q, which was not read with it (secrets.Find reads the files a config extends)", name)
		}
	}
	c, err := leaks.Parse(text, files)
	if err != nil {
		return nil, scan.Errorf(scan.InvalidInput, "%w", err)
	}
	return c, nil
}

// Check loads a configuration as LoadConfig does and compiles all its
// expressions, so that a mistake in any is an error here, naming the
// rule, rather than in a worker when the rule first runs.
func Check(text string, files map[string]string) error {
	c, err := LoadConfig(text, files)
	if err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return scan.Errorf(scan.InvalidInput, "%w", err)
	}
	return nil
}

// Scan runs the detector over f as `gitleaks dir` runs it over a file.
func (s *Scanner) Scan(ctx context.Context, f *scan.File) (scan.Report, error) {
	if f.Change {
		return s.scanChange(ctx, f)
	}
	name, rel := f.Name(), f.Path
	if s.skipPath(name, f.Root) || s.skipMember(f) {
		return scan.Report{}, scan.Skip("path allowed by the gitleaks config's allowlist")
	}
	switch {
	case f.Unpacked && f.Member != "": // named as gitleaks names it
		name, rel = name+"!"+f.Member, rel+"!"+f.Member
	case f.Unpacked: // a compressed file's text, named as the file
	case name == s.opts.ConfigPath && name != "":
		return scan.Report{}, scan.Skip("the gitleaks config in use")
	case leaks.IsArchiveName(name):
		return scan.Report{}, scan.Skip("binary or archive (gitleaks does not scan it)")
	}
	// The fragments and findings alias f.Data, whose buffer the worker
	// reads the next file into: convert copies what leaves.
	frags, _ := leaks.Fragments(name, unsafe.String(unsafe.SliceData(f.Data), len(f.Data)))
	if len(frags) == 0 && len(f.Data) > 0 {
		return scan.Report{}, scan.Skip("binary or archive (gitleaks does not scan it)")
	}
	var out []scan.Finding
	for _, frag := range frags {
		found, err := s.detect(ctx, frag)
		if err != nil {
			return scan.Report{}, err
		}
		out = append(out, s.convert(found, rel, "")...)
	}
	return scan.Report{Findings: out}, nil
}

// scanChange scans the lines one hunk of a commit adds as `gitleaks git`
// does: the hunk is one fragment, named by the file's path in the
// commit, its lines counted from the hunk's first.
func (s *Scanner) scanChange(ctx context.Context, f *scan.File) (scan.Report, error) {
	frag := leaks.Fragment{Raw: unsafe.String(unsafe.SliceData(f.Data), len(f.Data)), Path: f.Path, Commit: f.Commit, StartLine: f.Line}
	found, err := s.detect(ctx, frag)
	if err != nil {
		return scan.Report{}, err
	}
	return scan.Report{Findings: s.convert(found, f.Path, f.Commit)}, nil
}

func (s *Scanner) detect(ctx context.Context, frag leaks.Fragment) ([]leaks.Finding, error) {
	found, err := s.detector.Detect(ctx, frag)
	if err := ctx.Err(); err != nil {
		return nil, scan.AsError(err)
	}
	if errors.Is(err, leaks.ErrConfig) {
		return nil, scan.Errorf(scan.InvalidInput, "%w", err)
	}
	if err != nil {
		return nil, scan.Errorf(scan.ToolError, "secrets: %w", err)
	}
	return found, nil
}

// convert turns the detector's findings into scan findings, redacted
// unless asked not to, dropping the ones a fingerprint ignores; rel is the
// file's path relative to its root, and commit the commit of a change.
func (s *Scanner) convert(found []leaks.Finding, rel, commit string) []scan.Finding {
	var out []scan.Finding
	for _, g := range found {
		if s.ignored(g, rel, commit) {
			continue
		}
		if !s.opts.NoRedact {
			g.Redact()
		}
		out = append(out, scan.Finding{
			Rule: g.RuleID, Message: g.Description, Severity: "high", Match: strings.Clone(strings.TrimSpace(g.Match)),
			Line: g.StartLine, Column: g.StartColumn, EndLine: g.EndLine, EndColumn: g.EndColumn,
		})
	}
	return out
}

// ignored reports whether a .gitleaksignore fingerprint names g: by the
// file's name, or by its path relative to its root (as `gitleaks dir .`
// run in the root would write it), and in a commit by commit:path as
// `gitleaks git` writes it.
func (s *Scanner) ignored(g leaks.Finding, rel, commit string) bool {
	if len(s.ignore) == 0 {
		return false
	}
	return s.ignore[fmt.Sprintf("%s:%s:%d", g.File, g.RuleID, g.StartLine)] ||
		s.ignore[fmt.Sprintf("%s:%s:%d", filepath.ToSlash(rel), g.RuleID, g.StartLine)] ||
		(commit != "" && s.ignore[fmt.Sprintf("%s:%s:%s:%d", commit, rel, g.RuleID, g.StartLine)])
}

// skipPath reports whether the global allowlist skips the file name, or
// one of the directories between it and its root, as gitleaks' walk
// would: gitleaks skips a directory its allowlist matches, with all it
// holds. A file with no root has only its own name checked.
func (s *Scanner) skipPath(name, root string) bool {
	if root != "" {
		root = filepath.Clean(root)
	}
	if s.detector.PathAllowed(name) {
		return true
	}
	for p := name; p != root && root != "" && p != filepath.Dir(p) && p != "."; {
		p = filepath.Dir(p)
		if s.dirs.allowed(p, s.detector.PathAllowed) {
			return true
		}
	}
	return false
}

// skipMember reports whether the global allowlist skips a member of an
// archive by its path, or one of the archives it is in by theirs, as
// gitleaks tests each member's path as it extracts it.
func (s *Scanner) skipMember(f *scan.File) bool {
	if !f.Unpacked || f.Member == "" {
		return false
	}
	for p := range strings.SplitSeq(f.Member, "!") {
		if s.detector.PathAllowed(p) {
			return true
		}
	}
	return false
}

// dirCache remembers which directories the allowlist skips: the files of
// a directory ask about it, and about each directory above it, in turn.
type dirCache struct {
	mu   sync.Mutex
	seen map[string]bool
}

// maxDirs bounds the cache; it starts again empty when full.
const maxDirs = 1 << 14

func (c *dirCache) allowed(dir string, test func(string) bool) bool {
	c.mu.Lock()
	allowed, ok := c.seen[dir]
	c.mu.Unlock()
	if ok {
		return allowed
	}
	allowed = test(dir)
	c.mu.Lock()
	if c.seen == nil || len(c.seen) >= maxDirs {
		c.seen = make(map[string]bool)
	}
	c.seen[dir] = allowed
	c.mu.Unlock()
	return allowed
}
