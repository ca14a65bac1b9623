package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/record"
)

// Filter says which entries of a tree a walk leaves out, as git and
// ripgrep do: what .gitignore files ignore (and the root's
// .git/info/exclude), unless NoIgnore; what an Exclude glob matches; and
// files no Include glob matches, when there are Include globs. A glob
// without a slash matches an entry's name at any depth ("*.min.js"); one
// with a slash matches its path from the root ("vendor/**"), in
// doublestar's syntax. A root named to the walk is never left out.
//
// The zero value leaves out what .gitignore files ignore, and nothing
// else.
type Filter struct {
	NoIgnore         bool     // scan what .gitignore files ignore too
	Include, Exclude []string // globs
}

// ErrBadGlob is returned by Check for a glob that cannot be used.
var ErrBadGlob = errors.New("not a valid glob")

// Check returns an error wrapping ErrBadGlob, naming the glob, for the
// first Include or Exclude glob that is empty or malformed.
func (f Filter) Check() error {
	for _, g := range append(slices.Clone(f.Include), f.Exclude...) {
		if g == "" || !doublestar.ValidatePattern(g) {
			return fmt.Errorf("%q is %w", g, ErrBadGlob)
		}
	}
	return nil
}

// treeFilter is a filter for the walk of one root. It reads each
// directory's .gitignore as the walk enters it, and keeps the patterns of
// the directories above the current entry.
type treeFilter struct {
	Filter
	levels []ignoreLevel // outermost first
	// unread holds, by path from the root, the ignore files that are there
	// but could not be used (a FIFO, a symlink, too large): each becomes
	// an error record in the place of its entry.
	unread map[string]*record.Error
}

type ignoreLevel struct {
	dir      string // relative to the root, "" for the root
	patterns []gitignore.Pattern
}

// forRoot is the filter of the walk of root: the root's .gitignore and
// its .git/info/exclude read.
func (f Filter) forRoot(root *beneath.Dir) *treeFilter {
	t := &treeFilter{Filter: f, unread: map[string]*record.Error{}}
	if !f.NoIgnore {
		ps := t.read(root, excludeFile, nil)
		ps = append(ps, t.read(root, ".gitignore", nil)...)
		t.levels = []ignoreLevel{{dir: "", patterns: ps}}
	}
	return t
}

// excludeFile is the repository's own ignore file, beside .gitignore.
const excludeFile = ".git/info/exclude"

// enter reads the .gitignore of a directory the walk goes into.
func (t *treeFilter) enter(dir *beneath.Dir, rel string) {
	if t.NoIgnore {
		return
	}
	if ps := t.read(dir, ".gitignore", parts(rel)); len(ps) > 0 {
		t.levels = append(t.levels, ignoreLevel{dir: rel, patterns: ps})
	}
}

// read reads the patterns of the ignore file name in dir, as git does: a
// regular file, not through a symlink (git refuses a symlinked .gitignore
// too), of at most beneath.MaxSettings bytes. One that is there but cannot
// be used is noted in unread, its patterns not applied.
func (t *treeFilter) read(dir *beneath.Dir, name string, domain []string) []gitignore.Pattern {
	data, err := dir.ReadFileNoSymlinks(name, beneath.MaxSettings)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR): // none (.git may be a file)
		return nil
	case err != nil:
		rel := filepath.ToSlash(filepath.Join(append(slices.Clone(domain), name)...))
		t.unread[rel] = record.Errorf(record.InvalidInput, "ignore file not used, its patterns not applied: %w", err)
		return nil
	}
	var ps []gitignore.Pattern
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if !strings.HasPrefix(line, "#") && strings.TrimSpace(line) != "" {
			ps = append(ps, gitignore.ParsePattern(line, domain))
		}
	}
	return ps
}

// skip reports whether the entry at rel (slash-separated, from the root)
// is left out.
func (t *treeFilter) skip(rel string, isDir bool) bool {
	rel = filepath.ToSlash(rel)
	if matchAny(t.Exclude, rel) || (!isDir && len(t.Include) > 0 && !matchAny(t.Include, rel)) {
		return true
	}
	return t.ignored(rel, isDir)
}

// ignored applies the .gitignore patterns: the innermost directory's last
// matching pattern decides, as in git.
func (t *treeFilter) ignored(rel string, isDir bool) bool {
	for len(t.levels) > 1 && !inside(t.levels[len(t.levels)-1].dir, rel) {
		t.levels = t.levels[:len(t.levels)-1] // the walk has left that directory
	}
	p := parts(rel)
	for i := len(t.levels) - 1; i >= 0; i-- {
		ps := t.levels[i].patterns
		for j := len(ps) - 1; j >= 0; j-- {
			switch ps[j].Match(p, isDir) {
			case gitignore.Exclude:
				return true
			case gitignore.Include:
				return false
			}
		}
	}
	return false
}

func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		target := rel
		if !strings.Contains(g, "/") {
			target = path.Base(rel)
		}
		if ok, _ := doublestar.Match(g, target); ok {
			return true
		}
	}
	return false
}

func parts(rel string) []string {
	if rel == "" || rel == "." {
		return nil
	}
	return strings.Split(filepath.ToSlash(rel), "/")
}

// inside reports whether rel is dir or lies beneath it, both relative to
// the root.
func inside(dir, rel string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}
