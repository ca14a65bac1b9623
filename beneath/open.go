package beneath

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// MaxSettings is the most forkscan reads of a file of settings, whether a
// tree holds it (an ignore file, a secrets config) or a person names it (a
// --config): 4 MiB, a hundred times gitleaks' whole default rule set.
const MaxSettings = 4 << 20

// readFlags are how a file is opened for reading: never waiting on a FIFO,
// never made the controlling terminal.
const readFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC

// noOpenat2 is set once the kernel has said it has no openat2 (or a
// sandbox forbids it): every open then walks the path itself. Tests set it
// to run the walk everywhere.
var noOpenat2 atomic.Bool

// openat opens rel beneath d with flags: by openat2 and RESOLVE_BENEATH
// where the kernel has it, by the walk of resolve otherwise, and by the
// walk too where openat2 refused a path that may yet stay inside (an
// absolute symlink naming a place in d, which RESOLVE_BENEATH refuses as
// any absolute symlink).
func (d *Dir) openat(rel string, flags int) (int, error) {
	if filepath.IsAbs(rel) {
		return -1, ErrOutside
	}
	if !noOpenat2.Load() {
		how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS}
		for range 3 { // EAGAIN: a rename raced with a ".."; try again
			fd, err := unix.Openat2(d.fd, rel, &how)
			switch {
			case err == nil:
				return fd, nil
			case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM) && openat2Forbidden():
				noOpenat2.Store(true)
			case errors.Is(err, unix.EAGAIN):
				continue
			case !errors.Is(err, unix.EXDEV):
				return -1, err
			}
			break
		}
	}
	return d.resolve(rel, flags)
}

// openat2Forbidden reports whether an EPERM came from a sandbox that
// forbids openat2 itself (a seccomp filter), not from the file: openat2
// of "." beneath "/" is then refused too.
func openat2Forbidden() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
	if err == nil {
		_ = unix.Close(fd)
		return false
	}
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS)
}

// File is a regular file opened for reading beneath a Dir. Its reads go
// straight to the descriptor: no runtime poller, no finalizer.
type File struct {
	fd   int
	size int64
}

// Open opens the regular file rel beneath d for reading, following
// symlinks that stay beneath d. A path that leads out is ErrOutside;
// anything but a regular file is ErrNotRegular (a FIFO never blocks the
// open). The file is not read: see ReadFile for a bounded read.
func (d *Dir) Open(rel string) (*File, error) {
	fd, err := d.openat(rel, readFlags)
	if err != nil {
		return nil, refuse("open", d.join(rel), err)
	}
	return regular(fd, d.join(rel))
}

// OpenNoSymlinks opens the regular file rel beneath d, refusing a symlink
// anywhere on rel (ErrSymlink), as git opens .gitignore files: a file of
// settings that a tree holds is the file itself, or nothing.
func (d *Dir) OpenNoSymlinks(rel string) (*File, error) {
	fd, err := d.openNoSymlinks(rel)
	if err != nil {
		return nil, refuse("open", d.join(rel), err)
	}
	return regular(fd, d.join(rel))
}

// regular checks that fd is a regular file, and closes it if not.
func regular(fd int, name string) (*File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		_ = unix.Close(fd)
		return nil, refuse("open", name, notRegular(modeOf(st.Mode)))
	}
	return &File{fd: fd, size: st.Size}, nil
}

// OpenFile opens a regular file a person named (a --config, say): symlinks
// in the name are followed, since naming them means "this", but a FIFO or
// a device is ErrNotRegular, not waited on.
func OpenFile(name string) (*File, error) {
	fd, err := unix.Open(name, readFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return regular(fd, name)
}

// Fd is the file's descriptor, for reads of one's own.
func (f *File) Fd() int { return f.fd }

// Size is the file's size when it was opened.
func (f *File) Size() int64 { return f.size }

// Read reads from the file, as io.Reader.
func (f *File) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Close closes the file.
func (f *File) Close() error { return unix.Close(f.fd) }

// ReadAll reads the file to its end, refusing more than limit bytes
// (ErrTooLarge, having read at most one byte past it); a limit of zero or
// less is no limit.
func (f *File) ReadAll(limit int64) ([]byte, error) {
	hint := f.size
	if limit > 0 {
		hint = min(hint, limit)
	}
	buf := make([]byte, 0, hint+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if limit > 0 && int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// ReadFile reads the regular file rel beneath d (see Open), refusing one
// of more than limit bytes.
func (d *Dir) ReadFile(rel string, limit int64) ([]byte, error) {
	f, err := d.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, limit, d.join(rel))
}

// ReadFileNoSymlinks is ReadFile through OpenNoSymlinks.
func (d *Dir) ReadFileNoSymlinks(rel string, limit int64) ([]byte, error) {
	f, err := d.OpenNoSymlinks(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, limit, d.join(rel))
}

// ReadFile reads the regular file a person named (see OpenFile), refusing
// one of more than limit bytes.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := OpenFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, limit, name)
}

func readAll(f *File, limit int64, name string) ([]byte, error) {
	b, err := f.ReadAll(limit)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, nil
}
