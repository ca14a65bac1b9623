package beneath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Dir is an open directory that files are opened beneath. The zero value
// is not usable: make one with OpenDir, OpenDirIn or Dir.Sub, and Close it.
type Dir struct {
	fd   int    // O_PATH, or O_RDONLY for a Sub
	name string // as it was named, for messages
	real string // its absolute path with symlinks resolved, when it was opened
}

// OpenDir opens the directory a person named: symlinks in the name are
// followed (naming them means "this"), and what is opened beneath it later
// stays beneath it.
func OpenDir(name string) (*Dir, error) {
	fd, err := unix.Open(name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	d := &Dir{fd: fd, name: name}
	d.real = d.findReal()
	return d, nil
}

// OpenDirIn opens the directory name beneath the directory of within that
// holds it, by name (both absolute and clean): no symlink on the way from
// that directory to name may lead out of it, at the moment of the open.
// A name that no directory of within holds is ErrOutside. A service opens
// the paths its clients name this way, within the roots it serves: a path
// checked when it was submitted cannot lead elsewhere when it is scanned.
func OpenDirIn(within []string, name string) (*Dir, error) {
	i := slices.IndexFunc(within, func(w string) bool { return Within(w, name) })
	if i < 0 {
		return nil, refuse("open", name, ErrOutside)
	}
	top, err := OpenDir(within[i])
	if err != nil {
		return nil, err
	}
	rel := relative(within[i], name)
	if rel == "" {
		return top, nil
	}
	defer top.Close()
	fd, err := top.openat(rel, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, refuse("open", name, err)
	}
	d := &Dir{fd: fd, name: name}
	d.real = d.findReal()
	return d, nil
}

// findReal is where d's descriptor is, as the kernel says.
func (d *Dir) findReal() string {
	if real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(d.fd)); err == nil && filepath.IsAbs(real) {
		return real
	}
	if real, err := filepath.EvalSymlinks(d.name); err == nil {
		if abs, err := filepath.Abs(real); err == nil {
			return abs
		}
	}
	return ""
}

// Name is the directory's name, as it was opened.
func (d *Dir) Name() string { return d.name }

// Close closes the directory.
func (d *Dir) Close() error { return unix.Close(d.fd) }

// Sub opens the directory called name in d (a name, not a path), without
// following a symlink: a directory swapped for a symlink since it was
// listed is ErrSymlink, never entered.
func (d *Dir) Sub(name string) (*Dir, error) {
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, refuse("open", d.join(name), d.symlinkOr(name, err))
	}
	sub := &Dir{fd: fd, name: d.join(name)}
	if d.real != "" {
		sub.real = filepath.Join(d.real, name)
	}
	return sub, nil
}

// symlinkOr is ErrSymlink if the open of name failed for being a symlink,
// else err.
func (d *Dir) symlinkOr(name string, err error) error {
	if !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.ENOTDIR) {
		return err
	}
	if st, serr := d.lstat(name); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return ErrSymlink
	}
	return err
}

// Entries lists d, sorted by name as filepath.WalkDir lists.
func (d *Dir) Entries() ([]fs.DirEntry, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.name, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.name)
	defer f.Close()
	list, err := f.ReadDir(-1)
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, err
}

// Lstat describes the entry called name in d, not following a symlink.
func (d *Dir) Lstat(name string) (Info, error) {
	st, err := d.lstat(name)
	if err != nil {
		return Info{}, &fs.PathError{Op: "lstat", Path: d.join(name), Err: err}
	}
	return infoOf(&st), nil
}

func (d *Dir) lstat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

// Stat describes what rel leads to beneath d, following symlinks that stay
// beneath it: ErrOutside for one that leaves.
func (d *Dir) Stat(rel string) (Info, error) {
	fd, err := d.openat(rel, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return Info{}, refuse("stat", d.join(rel), err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Info{}, &fs.PathError{Op: "stat", Path: d.join(rel), Err: err}
	}
	return infoOf(&st), nil
}

// join is rel beneath d, for messages.
func (d *Dir) join(rel string) string {
	if d.name == "" {
		return rel
	}
	return filepath.Join(d.name, rel)
}

// Info is what Stat and Lstat say of a file.
type Info struct {
	Mode fs.FileMode // the type bits, and the permissions
	Size int64
}

func infoOf(st *unix.Stat_t) Info {
	return Info{Mode: modeOf(st.Mode), Size: st.Size}
}

// modeOf converts a stat mode to an fs.FileMode.
func modeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFREG:
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}

// Within reports whether path is dir or lies beneath it, both absolute
// and clean: by their names alone.
func Within(dir, path string) bool {
	return path == dir || dir == "/" && strings.HasPrefix(path, "/") ||
		strings.HasPrefix(path, dir+"/")
}

// relative is path relative to dir, which holds it ("" for dir itself).
func relative(dir, path string) string {
	if path == dir {
		return ""
	}
	if dir == "/" {
		return strings.TrimPrefix(path, "/")
	}
	return strings.TrimPrefix(path, dir+"/")
}
