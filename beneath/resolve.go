package beneath

import (
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks is how many symlinks one path may go through, as Linux's
// MAXSYMLINKS: more is ELOOP.
const maxLinks = 40

// resolve opens rel beneath d with flags, walking it a component at a
// time from d's descriptor: each directory is opened O_PATH|O_NOFOLLOW,
// each symlink read from the handle of the link itself (readlinkat with an
// empty path), and its target walked in its place. ".." never climbs
// above d, and an absolute target is followed only when it names a place
// inside d (by d's real path), from d's descriptor again. Whatever is
// swapped in the tree meanwhile, every open starts from a descriptor
// already beneath d and follows no symlink: the walk cannot be led out.
func (d *Dir) resolve(rel string, flags int) (int, error) {
	w := walk{root: d.fd, real: d.real}
	defer w.closeAll()
	comps := split(rel)
	for links := 0; len(comps) > 0; {
		c := comps[0]
		comps = comps[1:]
		if c == ".." {
			if !w.up() {
				return -1, ErrOutside
			}
			continue
		}
		target, isLink, err := w.step(c, len(comps) == 0, flags)
		if err != nil {
			return -1, err
		}
		if !isLink {
			if len(comps) == 0 {
				return w.final, nil
			}
			continue
		}
		if links++; links > maxLinks {
			return -1, unix.ELOOP
		}
		if filepath.IsAbs(target) {
			if d.real == "" || !Within(d.real, filepath.Clean(target)) {
				return -1, ErrOutside
			}
			target = relative(d.real, filepath.Clean(target))
			w.closeAll() // from d again
		}
		comps = append(split(target), comps...)
	}
	return unix.Openat(w.cur(), ".", flags, 0) // rel named a directory
}

// walk is where resolve has got: the directories it opened, innermost
// last, each beneath root.
type walk struct {
	root  int
	real  string
	dirs  []int
	final int // the file a last step opened
}

func (w *walk) cur() int {
	if len(w.dirs) == 0 {
		return w.root
	}
	return w.dirs[len(w.dirs)-1]
}

// up goes to the directory above, unless that is above root.
func (w *walk) up() bool {
	if len(w.dirs) == 0 {
		return false
	}
	_ = unix.Close(w.dirs[len(w.dirs)-1])
	w.dirs = w.dirs[:len(w.dirs)-1]
	return true
}

func (w *walk) closeAll() {
	for _, fd := range w.dirs {
		_ = unix.Close(fd)
	}
	w.dirs = w.dirs[:0]
}

// step takes the component c: the last one is opened with flags (into
// final), another entered as a directory. A symlink is not followed: its
// target is returned.
func (w *walk) step(c string, last bool, flags int) (target string, isLink bool, err error) {
	if last && flags&unix.O_PATH == 0 {
		fd, err := unix.Openat(w.cur(), c, flags|unix.O_NOFOLLOW, 0)
		if err == nil {
			w.final = fd
			return "", false, nil
		}
		if !errors.Is(err, unix.ELOOP) { // ELOOP with O_NOFOLLOW: c is a symlink
			return "", false, err
		}
	}
	fd, err := unix.Openat(w.cur(), c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return "", false, err
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		defer unix.Close(fd)
		target, err := readlink(fd)
		return target, err == nil, err
	case last && flags&unix.O_PATH != 0:
		if flags&unix.O_DIRECTORY != 0 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			_ = unix.Close(fd)
			return "", false, unix.ENOTDIR
		}
		w.final = fd
	case last: // was a symlink a moment ago: take it as it is now
		_ = unix.Close(fd)
		fd, err := unix.Openat(w.cur(), c, flags|unix.O_NOFOLLOW, 0)
		if err != nil {
			return "", false, err
		}
		w.final = fd
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		_ = unix.Close(fd)
		return "", false, unix.ENOTDIR
	default:
		w.dirs = append(w.dirs, fd)
	}
	return "", false, nil
}

// readlink reads the target of the symlink whose O_PATH handle is fd.
func readlink(fd int) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// split is rel's components, less empty ones and ".".
func split(rel string) []string {
	var out []string
	for c := range strings.SplitSeq(rel, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// openNoSymlinks opens rel beneath d with no symlink anywhere on it:
// every component O_NOFOLLOW, ".." refused.
func (d *Dir) openNoSymlinks(rel string) (int, error) {
	w := walk{root: d.fd}
	defer w.closeAll()
	comps := split(rel)
	if len(comps) == 0 {
		return -1, unix.EISDIR
	}
	for i, c := range comps {
		if c == ".." {
			return -1, ErrOutside
		}
		last := i == len(comps)-1
		flags := unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if last {
			flags = readFlags | unix.O_NOFOLLOW
		}
		fd, err := unix.Openat(w.cur(), c, flags, 0)
		if err != nil {
			return -1, w.symlinkOr(c, err)
		}
		if last {
			return fd, nil
		}
		w.dirs = append(w.dirs, fd)
	}
	return -1, unix.EINVAL // not reached
}

// symlinkOr is ErrSymlink if the open of c failed for being a symlink.
func (w *walk) symlinkOr(c string, err error) error {
	if !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.ENOTDIR) {
		return err
	}
	var st unix.Stat_t
	if unix.Fstatat(w.cur(), c, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return ErrSymlink
	}
	return err
}
