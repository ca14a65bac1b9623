// Package tree walks the trees a scan covers and says what is in them: a
// file to scan (its root, its path relative to the root, its size), or an
// entry that cannot be scanned and why (a FIFO, a symlink out of the root,
// a directory it may not read). Nothing of a tree is dropped silently:
// every entry is yielded or, when a rule leaves it out on purpose
// (.gitignore, --include, --exclude), counted.
//
// It is to forkscan what filepath.WalkDir is to a program, with the
// policy a scanner of source trees wants built in, as ripgrep and gitleaks
// have it: .gitignore files obeyed, .git skipped, symlinked directories not
// followed, symlinked files followed only inside their root. Unlike
// WalkDir it walks by descriptors (package beneath): each directory is
// opened from its parent's without following a symlink, so a directory
// swapped for a symlink while the walk runs is never entered, and the
// walk never lists what lies outside its root. The only files it reads
// are ignore files, as git reads them (a regular file, not a symlink, of
// at most beneath.MaxSettings bytes), so a FIFO or a device in their
// place neither blocks nor swells it; one it cannot use is an error
// entry, its patterns not applied. LargestFirst then orders what the walk
// finds, biggest files first, within a bounded queue.
//
// A walk can also keep one Shard of a tree, as a test runner's --shard
// keeps one part of a suite: every machine walks the whole tree and keeps
// its part, by a stable hash of each path or balanced by size, so that the
// parts are the tree and no file is in two, with no coordination.
//
// It knows nothing of processes, scanners or output formats: an entry
// carries the record vocabulary's Root and Path (package record), and the
// caller turns entries into jobs and records.
package tree
