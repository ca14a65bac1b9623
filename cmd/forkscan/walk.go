package main

import (
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// walker turns the PATH arguments into jobs, largest files first (see
// largestFirst). Whatever it cannot turn into a job (a missing path, an
// unreadable directory, a FIFO, a symlink out of the root, a symlink loop)
// still gets a record per scanner, through note, so that no entry of the
// tree is dropped silently; what its filter leaves out on purpose is
// counted.
type walker struct {
	roots    []string
	scanners []string
	note     func(engine.Result)
	done     *prior // pairs an earlier run recorded; nil: none
	filter   filter

	resumed    atomic.Int64 // files skipped because done has all their scanners
	ignored    atomic.Int64 // entries the filter left out (a directory counts once)
	found      atomic.Int64 // files found: jobs and records the walker made
	foundBytes atomic.Int64 // their sizes
	walked     atomic.Bool  // the walk is over
}

// fileRef is what a job's Meta says about its file: its root, its path
// relative to the root (the path as given, for a root that is a file),
// and how many records it is to get. The sink counts the records it got.
type fileRef struct {
	root, rel string
	size      int64
	want      int
	job       bool // a job for the engine, not a record the walker made
	got       int  // records written so far; the sink's, under its lock
	failed    bool // one of them is an error; the sink's, under its lock
}

// job makes the job for a file, narrowed to the scanners an earlier run
// has not done; ok is false when it has done them all.
func (w *walker) job(path, root, rel string, size int64) (engine.Job, bool) {
	left := w.done.left(root, rel, w.scanners)
	if len(left) == 0 {
		w.resumed.Add(1)
		return engine.Job{}, false
	}
	w.found.Add(1)
	w.foundBytes.Add(size)
	j := engine.Job{Path: path, Meta: &fileRef{root: root, rel: rel, size: size, want: len(left), job: true}}
	if len(left) < len(w.scanners) {
		j.Scanners = left
	}
	return j, true
}

// offerFile offers the job for a file unless an earlier run did it.
func (w *walker) offerFile(path, root, rel string, size int64, offer offerFunc) bool {
	j, ok := w.job(path, root, rel, size)
	return !ok || offer(j, size)
}

// offerFunc takes a job and its file's size; false stops the walk.
type offerFunc = func(engine.Job, int64) bool

// jobs returns the jobs of the roots, largest files first.
func (w *walker) jobs() iter.Seq[engine.Job] {
	return largestFirst(w.walk)
}

// walk walks the roots in order. It does not follow symlinked directories,
// follows a symlinked file only when its target stays inside the root, and
// never opens anything but .gitignore files (so never blocks on a FIFO or
// a device).
func (w *walker) walk(offer offerFunc) {
	defer w.walked.Store(true)
	for _, root := range w.roots {
		if !w.walkRoot(root, offer) {
			return
		}
	}
}

func (w *walker) walkRoot(root string, offer offerFunc) bool {
	// A root named on the command line is followed even if it is a symlink:
	// naming it means "this".
	abs := absPath(root)
	info, err := os.Stat(root)
	if err != nil {
		w.fail(root, abs, root, scan.AsError(err))
		return true
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			w.skip(root, abs, root, fmt.Sprintf("not a regular file (%s)", kind(info.Mode().Type())))
			return true
		}
		return w.offerFile(root, abs, root, info.Size(), offer)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		w.fail(root, abs, root, scan.AsError(err))
		return true
	}
	keepGoing := true
	tf := w.filter.forRoot(realRoot)
	err = filepath.WalkDir(realRoot, func(path string, d fs.DirEntry, err error) error {
		rel := relTo(realRoot, path)
		if err != nil {
			w.fail(path, abs, rel, scan.AsError(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path == realRoot {
			return nil
		}
		if d.IsDir() {
			return w.dir(tf, path, rel, d)
		}
		if tf.skip(rel, false) {
			w.ignored.Add(1)
			return nil
		}
		if !w.entry(path, abs, realRoot, rel, d, offer) {
			keepGoing = false
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		w.fail(root, abs, root, scan.AsError(err))
	}
	return keepGoing
}

// dir decides whether the walk goes into a directory.
func (w *walker) dir(tf *treeFilter, path, rel string, d fs.DirEntry) error {
	if d.Name() == ".git" {
		return fs.SkipDir
	}
	if tf.skip(rel, true) {
		w.ignored.Add(1)
		return fs.SkipDir
	}
	tf.enter(path, rel)
	return nil
}

// entry handles one non-directory entry; it returns false to stop the walk.
func (w *walker) entry(path, root, realRoot, rel string, d fs.DirEntry, offer offerFunc) bool {
	typ := d.Type()
	switch {
	case typ.IsRegular():
		info, err := d.Info()
		if err != nil {
			w.fail(path, root, rel, scan.AsError(err))
			return true
		}
		return w.offerFile(path, root, rel, info.Size(), offer)
	case typ&fs.ModeSymlink != 0:
		return w.symlink(path, root, realRoot, rel, offer)
	default:
		w.skip(path, root, rel, fmt.Sprintf("not a regular file (%s)", kind(typ)))
		return true
	}
}

func (w *walker) symlink(path, root, realRoot, rel string, offer offerFunc) bool {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.fail(path, root, rel, scan.Errorf(scan.InvalidInput, "unresolvable symlink (broken or a loop): %w", err))
		return true
	}
	if !within(realRoot, target) {
		w.skip(path, root, rel, "symlink points outside the scanned root")
		return true
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		w.fail(path, root, rel, scan.AsError(err))
	case info.IsDir():
		w.skip(path, root, rel, "symlink to a directory (not followed)")
	case !info.Mode().IsRegular():
		w.skip(path, root, rel, fmt.Sprintf("symlink to a non-regular file (%s)", kind(info.Mode().Type())))
	default:
		return w.offerFile(path, root, rel, info.Size(), offer)
	}
	return true
}

func (w *walker) fail(path, root, rel string, e *scan.Error) {
	w.records(path, root, rel, engine.Result{Status: engine.StatusError, Err: e})
}

func (w *walker) skip(path, root, rel, reason string) {
	w.records(path, root, rel, engine.Result{Status: engine.StatusSkipped, Reason: reason})
}

// records notes one record like r per scanner for a file that gets no job.
func (w *walker) records(path, root, rel string, r engine.Result) {
	w.found.Add(1)
	r.Path, r.Meta = path, &fileRef{root: root, rel: rel, want: len(w.scanners)}
	for _, s := range w.scanners {
		r.Scanner = s
		w.note(r)
	}
}

// absPath is path made absolute, as records name their root.
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
