// Package beneath opens the files of a scanned tree the way a hostile tree
// demands: beneath its root, never waiting, regular files only, read to a
// bound. It is to a scanned tree what os.Root is to a directory, with the
// rules of untrusted input added:
//
//   - Beneath the root, at the moment of the open. A path is resolved by
//     the kernel from the root's descriptor with openat2(2) and
//     RESOLVE_BENEATH, which refuses any symlink or ".." that leaves it,
//     however the tree changes while forkscan works; where the kernel has
//     no openat2 (before Linux 5.6, or a sandbox that forbids it), by a
//     walk of the path one component at a time from the root's descriptor,
//     each opened with O_NOFOLLOW and each symlink read from the very
//     descriptor found (readlinkat of an O_PATH handle), so no swap between
//     a check and a use can lead out. Symlinks that stay inside are
//     followed, absolute ones too when they name a place inside the root.
//     A path that leads out is ErrOutside.
//   - Never waiting. Files are opened O_NONBLOCK|O_NOCTTY: a FIFO's open
//     returns at once, and then, like a device or a socket, it is
//     ErrNotRegular. Nothing here reads from anything but a regular file.
//   - Read to a bound. ReadFile refuses a file over its limit
//     (ErrTooLarge) after reading at most one byte past it: a symlink to
//     /dev/zero cannot swell the reader, since it is not a regular file,
//     and a regular file of gigabytes is never read whole.
//
// A Dir is an open directory: a scan's root, or a directory a walk has
// entered (Dir.Sub opens a subdirectory without following a symlink, as a
// walk must). Dirs are safe for concurrent use. What opens a directory by
// its name trusts that name: OpenDir follows symlinks in it, as a person
// naming a directory on the command line expects; OpenDirIn opens it
// beneath one of the directories a service was told it may serve, so that
// a name checked once cannot later lead elsewhere.
//
// The cost over a plain open(2): none on the path every scanned file
// takes (one openat2 instead of one openat); the userspace walk costs a
// system call or two per component, and runs only where openat2 refuses
// or is missing.
package beneath
