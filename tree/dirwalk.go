package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/record"
)

// MaxDepth is how deep a walk goes into a tree: a directory nested deeper
// is an entry with an error, not walked. A walk holds a descriptor per
// level it is in, and no source tree comes near it.
const MaxDepth = 512

// Reasons an entry is not scanned, as its records say.
const (
	skipOutside     = "symlink points outside the scanned root"
	skipLinkedDir   = "symlink to a directory (not followed)"
	skipSwappedDir  = "a directory replaced by a symlink while it was walked (not followed)"
	unresolvableMsg = "unresolvable symlink (broken or a loop)"
)

// walkRoot walks one root, yielding its entries; it reports whether the
// walk is to go on.
func (w *Walker) walkRoot(root string, yield func(Entry) bool) bool {
	abs := absPath(root)
	top, err := w.open(abs)
	if errors.Is(err, syscall.ENOTDIR) {
		return yield(w.fileRoot(abs))
	}
	if err != nil {
		return yield(Entry{Root: filepath.Dir(abs), Path: filepath.Base(abs), Err: asError(err)})
	}
	defer top.Close()
	d := &dirWalk{w: w, root: abs, top: top, filter: w.Filter.forRoot(top), yield: yield}
	if e := d.filter.unread[excludeFile]; e != nil {
		d.give(Entry{Path: excludeFile, Err: e})
	}
	d.walk(top, "", 0)
	return !d.stopped
}

// open opens the directory of a root, beneath Within when it is set.
func (w *Walker) open(abs string) (*beneath.Dir, error) {
	if len(w.Within) > 0 {
		return beneath.OpenDirIn(w.Within, abs)
	}
	return beneath.OpenDir(abs)
}

// fileRoot is the entry of a root that is not a directory: named by its
// directory and its name. A person's root is taken as named, a symlink
// followed to the file it names; beneath Within, it must be a file there.
func (w *Walker) fileRoot(abs string) Entry {
	name := abs
	if len(w.Within) == 0 {
		name = fileName(abs) // where the worker will open it
	}
	e := Entry{Root: filepath.Dir(name), Path: filepath.Base(name)}
	dir, err := w.open(e.Root)
	if err != nil {
		e.Err = asError(err)
		return e
	}
	defer dir.Close()
	info, err := dir.Stat(e.Path)
	switch {
	case err != nil:
		e.Err = asError(err)
	case !info.Mode.IsRegular():
		e.Skip = fmt.Sprintf("not a regular file (%s)", beneath.Kind(info.Mode))
	default:
		e.Size = info.Size
	}
	return e
}

// dirWalk is the walk of one root that is a directory: each directory is
// opened from its parent's descriptor without following a symlink, so the
// walk never leaves the root, whatever is swapped in the tree meanwhile.
type dirWalk struct {
	w       *Walker
	root    string       // as entries name it
	top     *beneath.Dir // the root, open
	filter  *treeFilter
	yield   func(Entry) bool
	stopped bool
}

// give yields e, an entry of the root, unless the walk has stopped.
func (d *dirWalk) give(e Entry) {
	if !d.stopped {
		e.Root = d.root
		d.stopped = !d.yield(e)
	}
}

// walk yields the entries of dir, at rel from the root, and walks its
// directories, in name order.
func (d *dirWalk) walk(dir *beneath.Dir, rel string, depth int) {
	list, err := dir.Entries()
	if err != nil {
		if rel == "" {
			d.stopped = !d.yield(Entry{Root: filepath.Dir(d.root), Path: filepath.Base(d.root), Err: asError(err)})
		} else {
			d.give(Entry{Path: rel, Err: asError(err)})
		}
		return
	}
	for _, de := range list {
		if d.stopped || d.w.Stopped() {
			d.stopped = true
			return
		}
		name := de.Name()
		path := filepath.Join(rel, name)
		if e := d.filter.unread[filepath.ToSlash(path)]; e != nil {
			d.give(Entry{Path: path, Err: e})
			continue
		}
		switch typ := de.Type(); {
		case typ.IsDir():
			d.dir(dir, name, path, depth)
		case d.filter.skip(path, false):
			d.w.ignored.Add(1)
		default:
			d.give(d.entry(dir, name, path, typ))
		}
	}
}

// dir decides whether the walk goes into a directory, and walks it.
func (d *dirWalk) dir(parent *beneath.Dir, name, path string, depth int) {
	if name == ".git" {
		return
	}
	if d.filter.skip(path, true) {
		d.w.ignored.Add(1)
		return
	}
	if depth >= MaxDepth {
		d.give(Entry{Path: path, Err: record.Errorf(record.InvalidInput, "directory nested deeper than %d levels: not walked", MaxDepth)})
		return
	}
	sub, err := parent.Sub(name)
	switch {
	case errors.Is(err, beneath.ErrSymlink):
		d.give(Entry{Path: path, Skip: skipSwappedDir})
		return
	case err != nil:
		d.give(Entry{Path: path, Err: asError(err)})
		return
	}
	defer sub.Close()
	d.filter.enter(sub, path)
	d.walk(sub, path, depth+1)
}

// entry makes the entry for a non-directory.
func (d *dirWalk) entry(dir *beneath.Dir, name, path string, typ fs.FileMode) Entry {
	switch {
	case typ.IsRegular():
		info, err := dir.Lstat(name)
		switch {
		case err != nil:
			return Entry{Path: path, Err: asError(err)}
		case info.Mode.Type() == fs.ModeSymlink:
			return d.symlink(path)
		case !info.Mode.IsRegular():
			return Entry{Path: path, Skip: fmt.Sprintf("not a regular file (%s)", beneath.Kind(info.Mode))}
		}
		return Entry{Path: path, Size: info.Size}
	case typ&fs.ModeSymlink != 0:
		return d.symlink(path)
	}
	return Entry{Path: path, Skip: fmt.Sprintf("not a regular file (%s)", beneath.Kind(typ))}
}

// symlink follows a symlinked file whose target stays inside the root.
func (d *dirWalk) symlink(path string) Entry {
	e := Entry{Path: path}
	info, err := d.top.Stat(path)
	switch {
	case errors.Is(err, beneath.ErrOutside):
		e.Skip = skipOutside
	case errors.Is(err, syscall.ELOOP), errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		e.Err = record.Errorf(record.InvalidInput, "%s: %w", unresolvableMsg, err)
	case err != nil:
		e.Err = asError(err)
	case info.Mode.IsDir():
		e.Skip = skipLinkedDir
	case !info.Mode.IsRegular():
		e.Skip = fmt.Sprintf("symlink to a non-regular file (%s)", beneath.Kind(info.Mode))
	default:
		e.Size = info.Size
	}
	return e
}

// asError is err as a record's error: a path that leads outside the roots
// is a refusal (PERMISSION_DENIED), anything else as record.AsError says.
func asError(err error) *record.Error {
	if errors.Is(err, beneath.ErrOutside) {
		return record.Errorf(record.PermissionDenied, "refused: %w", err)
	}
	return record.AsError(err)
}
