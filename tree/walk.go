package tree

import (
	"os"
	"path/filepath"
	"slices"
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
	// Within, if set, are the directories the roots must lie in, absolute
	// and with symlinks resolved (a service's roots): each root is opened
	// beneath the one that holds it (beneath.OpenDirIn), so that a path
	// checked when it was submitted cannot lead elsewhere when it is
	// walked, and a root that no longer lies in them is an entry with an
	// error. Empty: roots are opened by their names, as a person names
	// them.
	Within []string

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
	all := &Walker{Roots: w.Roots, Filter: w.Filter, Done: w.Done, Within: w.Within}
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
// absolute, or for anything but a directory, the directory that holds it
// (of the file it names, for a symlink: see fileName).
func Root(root string) string {
	abs := absPath(root)
	if info, err := os.Stat(root); err == nil && info.IsDir() {
		return abs
	}
	return filepath.Dir(fileName(abs))
}

// fileName is the name a root that is not a directory is scanned by: a
// symlink that a person names is followed to the file it names, since
// naming it means "that file", and the file is then opened beneath its
// own directory.
func fileName(abs string) string {
	if info, err := os.Lstat(abs); err != nil || info.Mode().Type() != os.ModeSymlink {
		return abs
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
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

// absPath is path made absolute, as entries name their root.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
