package tree

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/forkscan/forkscan/record"
)

// Entry is one thing a walk found. An entry with neither Err nor Skip is
// a regular file to scan.
type Entry struct {
	// Root is the tree the entry was found under, absolute, as the walk's
	// root was named (symlinks in it not resolved); Path is the entry's
	// path relative to Root. For a root that is not a directory, Root is
	// the directory that holds it and Path its name.
	Root, Path string
	// Size is a file's size in bytes, when the walk saw it.
	Size int64
	// Err says why the entry could not be read: a root that does not
	// exist, a directory that may not be listed, a broken symlink.
	Err *record.Error
	// Skip says why the entry is not scanned: not a regular file, a
	// symlink out of its root, a symlink to a directory.
	Skip string
}

// Name is the name to open the entry by (record.Join of Root and Path).
func (e Entry) Name() string { return record.Join(e.Root, e.Path) }

// Walker walks roots with a filter, and counts what it finds as it goes;
// the counts may be read while it walks. The zero value walks nothing;
// set Roots.
type Walker struct {
	// Roots are the files and trees to walk, in order, as a person names
	// them (relative to the working directory, or absolute). A root named
	// here is followed even if it is a symlink, and scanned whatever the
	// filter says: naming it means "this".
	Roots []string
	// Filter says which entries the walk leaves out.
	Filter Filter
	// Shard, if set, is the part of the tree this walk yields; the zero
	// Shard yields all of it.
	Shard Shard
	// Done, if set, ends the walk when it is closed, the listing a split
	// by size makes before it yields anything included.
	Done <-chan struct{}

	found   atomic.Int64 // entries yielded
	bytes   atomic.Int64 // sizes of the files yielded
	ignored atomic.Int64 // entries the filter left out (a directory counts once)
	ended   atomic.Bool  // the walk is over
	tree    atomic.Value // string: the digest of a split by size's listing
}

// Counts is how far a walk has got.
type Counts struct {
	Found   int64 // entries yielded: files to scan and entries with Err or Skip
	Bytes   int64 // the sizes of the files yielded
	Ignored int64 // entries the filter left out; a directory counts once for all it holds
	Ended   bool  // the walk has ended
	// Tree is, for a split by size, the digest of the listing the split
	// was made from (record.ShardEnd.Tree); "" otherwise.
	Tree string
}

// Counts returns the counts so far.
func (w *Walker) Counts() Counts {
	tree, _ := w.tree.Load().(string)
	return Counts{Found: w.found.Load(), Bytes: w.bytes.Load(), Ignored: w.ignored.Load(), Ended: w.ended.Load(), Tree: tree}
}

// Walk yields every entry of the roots (of the Shard's part, when one is
// set), in walk order, in the caller's goroutine. It stops when yield
// returns false or Done is closed.
func (w *Walker) Walk(yield func(Entry) bool) {
	defer w.ended.Store(true)
	mine, ok := w.sharder()
	if !ok {
		return
	}
	give := func(e Entry) bool {
		if w.Stopped() {
			return false
		}
		if !mine(e) {
			return true
		}
		w.found.Add(1)
		w.bytes.Add(e.Size)
		return yield(e)
	}
	for _, root := range w.Roots {
		if !w.walkRoot(root, give) {
			return
		}
	}
}

// sharder returns what says whether an entry is of the walk's shard; for
// a split by size it lists the tree first (false if Done ended that).
func (w *Walker) sharder() (func(Entry) bool, bool) {
	s := w.Shard
	switch {
	case s.Count == 0:
		return func(Entry) bool { return true }, true
	case s.Split() == ByHash:
		return func(e Entry) bool { return HashShard(e.Path, s.Count) == s.Index }, true
	}
	var files []listed
	all := &Walker{Roots: w.Roots, Filter: w.Filter, Done: w.Done}
	for e := range all.Walk {
		if e.Err == nil && e.Skip == "" {
			files = append(files, listed{pathHash(e.Path), e.Size})
		}
	}
	if w.Stopped() {
		return nil, false
	}
	plan := planBySize(files, s.Count)
	w.tree.Store(plan.digest)
	return func(e Entry) bool {
		if e.Err != nil || e.Skip != "" {
			return HashShard(e.Path, s.Count) == s.Index
		}
		return plan.of(e.Path, s.Count) == s.Index
	}, true
}

// Stopped reports whether Done is closed: a walk that ended then may not
// have yielded everything.
func (w *Walker) Stopped() bool {
	select {
	case <-w.Done:
		return true
	default:
		return false
	}
}

// Root returns the Root that entries of a walk of root carry: root made
// absolute, or for anything but a directory, the directory that holds it.
func Root(root string) string {
	abs := absPath(root)
	if info, err := os.Stat(root); err == nil && info.IsDir() {
		return abs
	}
	return filepath.Dir(abs)
}

// Roots returns Root of each root, each once, in order.
func Roots(roots []string) []string {
	var out []string
	for _, r := range roots {
		if r := Root(r); !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func (w *Walker) walkRoot(root string, yield func(Entry) bool) bool {
	abs := absPath(root)
	info, err := os.Stat(root)
	if err != nil || !info.IsDir() {
		e := Entry{Root: filepath.Dir(abs), Path: filepath.Base(abs)}
		switch {
		case err != nil:
			e.Err = record.AsError(err)
		case !info.Mode().IsRegular():
			e.Skip = fmt.Sprintf("not a regular file (%s)", kind(info.Mode().Type()))
		default:
			e.Size = info.Size()
		}
		return yield(e)
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return yield(Entry{Root: filepath.Dir(abs), Path: filepath.Base(abs), Err: record.AsError(err)})
	}
	d := &dirWalk{w: w, root: abs, real: real, filter: w.Filter.forRoot(real), yield: yield}
	_ = filepath.WalkDir(real, d.visit) // visit returns no error of its own
	return !d.stopped
}

// dirWalk is the walk of one root that is a directory.
type dirWalk struct {
	w       *Walker
	root    string // as entries name it
	real    string // symlinks resolved: where the walk goes
	filter  *treeFilter
	yield   func(Entry) bool
	stopped bool
}

func (d *dirWalk) visit(path string, de fs.DirEntry, err error) error {
	rel := relTo(d.real, path)
	switch {
	case path == d.real && err != nil: // the root itself cannot be read
		d.stopped = !d.yield(Entry{Root: filepath.Dir(d.root), Path: filepath.Base(d.root), Err: record.AsError(err)})
		return fs.SkipDir
	case err != nil:
		d.give(Entry{Path: rel, Err: record.AsError(err)})
		if de != nil && de.IsDir() {
			return fs.SkipDir
		}
	case path == d.real:
	case de.IsDir():
		return d.dir(path, rel, de)
	case d.filter.skip(rel, false):
		d.w.ignored.Add(1)
	default:
		d.give(d.entry(path, rel, de))
	}
	if d.stopped {
		return fs.SkipAll
	}
	return nil
}

func (d *dirWalk) give(e Entry) {
	e.Root = d.root
	if !d.yield(e) {
		d.stopped = true
	}
}

// dir decides whether the walk goes into a directory.
func (d *dirWalk) dir(path, rel string, de fs.DirEntry) error {
	if de.Name() == ".git" {
		return fs.SkipDir
	}
	if d.filter.skip(rel, true) {
		d.w.ignored.Add(1)
		return fs.SkipDir
	}
	d.filter.enter(path, rel)
	return nil
}

// entry makes the entry for a non-directory.
func (d *dirWalk) entry(path, rel string, de fs.DirEntry) Entry {
	typ := de.Type()
	switch {
	case typ.IsRegular():
		info, err := de.Info()
		if err != nil {
			return Entry{Path: rel, Err: record.AsError(err)}
		}
		return Entry{Path: rel, Size: info.Size()}
	case typ&fs.ModeSymlink != 0:
		return d.symlink(path, rel)
	}
	return Entry{Path: rel, Skip: fmt.Sprintf("not a regular file (%s)", kind(typ))}
}

// symlink follows a symlinked file whose target stays inside the root.
func (d *dirWalk) symlink(path, rel string) Entry {
	e := Entry{Path: rel}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		e.Err = record.Errorf(record.InvalidInput, "unresolvable symlink (broken or a loop): %w", err)
		return e
	}
	if !within(d.real, target) {
		e.Skip = "symlink points outside the scanned root"
		return e
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		e.Err = record.AsError(err)
	case info.IsDir():
		e.Skip = "symlink to a directory (not followed)"
	case !info.Mode().IsRegular():
		e.Skip = fmt.Sprintf("symlink to a non-regular file (%s)", kind(info.Mode().Type()))
	default:
		e.Size = info.Size()
	}
	return e
}

// absPath is path made absolute, as entries name their root.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func relTo(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." {
		return path
	}
	return rel
}

func within(root, path string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

func kind(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return t.String()
}
