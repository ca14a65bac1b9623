package main

import (
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// walker turns the PATH arguments into jobs. Whatever it cannot turn into a
// job (a missing path, an unreadable directory, a FIFO, a symlink out of
// the root, a symlink loop) still gets a record per scanner, through note,
// so that no entry of the tree is dropped silently.
type walker struct {
	roots    []string
	scanners []string
	note     func(engine.Result)
}

// jobs walks the roots in order. It does not follow symlinked directories,
// follows a symlinked file only when its target stays inside the root, and
// never opens anything (so never blocks on a FIFO or a device).
func (w *walker) jobs() iter.Seq[engine.Job] {
	return func(yield func(engine.Job) bool) {
		for _, root := range w.roots {
			if !w.walkRoot(root, yield) {
				return
			}
		}
	}
}

func (w *walker) walkRoot(root string, yield func(engine.Job) bool) bool {
	// A root named on the command line is followed even if it is a symlink:
	// naming it means "this".
	info, err := os.Stat(root)
	if err != nil {
		w.fail(root, root, scan.AsError(err))
		return true
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			w.skip(root, root, fmt.Sprintf("not a regular file (%s)", kind(info.Mode().Type())))
			return true
		}
		return yield(engine.Job{Path: root, Meta: root})
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		w.fail(root, root, scan.AsError(err))
		return true
	}
	keepGoing := true
	err = filepath.WalkDir(realRoot, func(path string, d fs.DirEntry, err error) error {
		rel := relTo(realRoot, path)
		if err != nil {
			w.fail(path, rel, scan.AsError(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && path != realRoot {
				return fs.SkipDir
			}
			return nil
		}
		if !w.entry(path, realRoot, rel, d.Type(), yield) {
			keepGoing = false
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		w.fail(root, root, scan.AsError(err))
	}
	return keepGoing
}

// entry handles one non-directory entry; it returns false to stop the walk.
func (w *walker) entry(path, realRoot, rel string, typ fs.FileMode, yield func(engine.Job) bool) bool {
	switch {
	case typ.IsRegular():
		return yield(engine.Job{Path: path, Meta: rel})
	case typ&fs.ModeSymlink != 0:
		return w.symlink(path, realRoot, rel, yield)
	default:
		w.skip(path, rel, fmt.Sprintf("not a regular file (%s)", kind(typ)))
		return true
	}
}

func (w *walker) symlink(path, realRoot, rel string, yield func(engine.Job) bool) bool {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.fail(path, rel, scan.Errorf(scan.InvalidInput, "unresolvable symlink (broken or a loop): %w", err))
		return true
	}
	if !within(realRoot, target) {
		w.skip(path, rel, "symlink points outside the scanned root")
		return true
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		w.fail(path, rel, scan.AsError(err))
	case info.IsDir():
		w.skip(path, rel, "symlink to a directory (not followed)")
	case !info.Mode().IsRegular():
		w.skip(path, rel, fmt.Sprintf("symlink to a non-regular file (%s)", kind(info.Mode().Type())))
	default:
		return yield(engine.Job{Path: path, Meta: rel})
	}
	return true
}

func (w *walker) fail(path, rel string, e *scan.Error) {
	for _, s := range w.scanners {
		w.note(engine.Result{Path: path, Meta: rel, Scanner: s, Status: engine.StatusError, Err: e})
	}
}

func (w *walker) skip(path, rel, reason string) {
	for _, s := range w.scanners {
		w.note(engine.Result{Path: path, Meta: rel, Scanner: s, Status: engine.StatusSkipped, Reason: reason})
	}
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
