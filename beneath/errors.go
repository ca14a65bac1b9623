package beneath

import (
	"errors"
	"fmt"
	"io/fs"
)

// Refusals, for errors.Is. Each is returned wrapped, with the path.
var (
	// ErrOutside: the path leads outside its root (a symlink or ".."
	// pointing out, an absolute symlink to elsewhere).
	ErrOutside = errors.New("leads outside the root")
	// ErrNotRegular: the path is a FIFO, a device, a socket or a
	// directory, where a regular file was wanted.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file is larger than the limit it was read with.
	ErrTooLarge = errors.New("larger than the limit")
	// ErrSymlink: a symlink was met where none is allowed (Dir.Sub,
	// Dir.OpenNoSymlinks).
	ErrSymlink = errors.New("is a symlink, which is not followed here")
)

// refuse wraps a refusal with the path it is about.
func refuse(op, path string, err error) error {
	return &fs.PathError{Op: op, Path: path, Err: err}
}

// notRegular is ErrNotRegular naming what the file is instead.
func notRegular(mode fs.FileMode) error {
	return fmt.Errorf("%w (%s)", ErrNotRegular, Kind(mode))
}

// Kind names a file type for people: "named pipe", "socket", "character
// device", "device", "directory", "symlink".
func Kind(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	case t&fs.ModeDir != 0:
		return "directory"
	case t&fs.ModeSymlink != 0:
		return "symlink"
	}
	return t.Type().String()
}
