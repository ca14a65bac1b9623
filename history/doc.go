// Package history reads what a git repository's history adds, for
// scanners of text: the commits to scan with their sizes, and each
// commit's patch as the hunks of lines it adds to each file, the way
// `gitleaks git` reads them (`git log -p -U0 --full-history --all`).
//
// Where gitleaks pipes one `git log -p` of the whole history into one
// process, this package splits the work in two: List, in the parent, asks
// git for the commits and the sizes of the files each one writes (no
// patch, nothing held but a commit's name and size), so that a scheduler
// can deal commits to workers by size, and split a huge one by file
// (Job.Parts); a Reader, in each worker, keeps one `git diff-tree --stdin`
// running and asks it for one commit's patch at a time, which is parsed
// into the lines each hunk adds: the hunks, names and lines gitleaks' own
// parser (github.com/gitleaks/go-gitdiff) finds in the same patch, which
// the tests hold it to, at a fraction of the cost.
//
// Everything runs the real git, and runs it as a repository cannot
// command: revision arguments only (Revisions refuses every option that
// writes a file, runs a program or changes what a patch shows), plumbing
// commands that take no pager, colour, external diff or textconv from the
// repository's configuration, no hooks, no fsmonitor, no filters, no
// optional locks and no lazy fetch of missing objects (see Command). Every
// read of git's output is bounded, and every wait ends with its context.
//
// It imports nothing of forkscan: a commit is a name, a size, an author
// and a message; a change is a path, a line and text.
package history
