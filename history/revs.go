package history

import (
	"fmt"
	"strings"
)

// Revisions are git revision arguments saying which commits to scan, as
// `gitleaks git --log-opts` takes them: "main~100..main", "--since=2024-01-01
// --branches". Nil or empty: every commit reachable from every ref
// (--all), as gitleaks scans by default.
type Revisions []string

// ParseRevisions splits text at spaces, as gitleaks splits --log-opts,
// and checks each argument: a revision or range (not starting with "-"),
// or one of the options of git rev-list that only choose commits
// (revisionOptions). An option that writes a file, runs a program,
// changes what a patch shows or reads more arguments (--output,
// --ext-diff, -c, --stdin, a pathspec after "--") is ErrRevisions.
func ParseRevisions(text string) (Revisions, error) {
	var revs Revisions
	for _, arg := range strings.Fields(text) {
		if err := checkRevision(arg); err != nil {
			return nil, err
		}
		revs = append(revs, arg)
	}
	return revs, nil
}

// revisionOptions are the rev-list options Revisions takes: each chooses
// commits, and none writes, runs or reads anything. An entry ending in
// "=" takes a value after it.
var revisionOptions = []string{
	"--all", "--branches", "--branches=", "--tags", "--tags=", "--remotes", "--remotes=",
	"--glob=", "--exclude=", "--not", "--first-parent", "--full-history", "--no-merges",
	"--merges", "--min-parents=", "--max-parents=", "--no-min-parents", "--no-max-parents",
	"--since=", "--after=", "--until=", "--before=", "--max-age=", "--min-age=",
	"--author=", "--committer=", "--grep=", "--all-match", "--invert-grep", "-i",
	"--regexp-ignore-case", "-E", "--extended-regexp", "-F", "--fixed-strings",
	"--max-count=", "--skip=", "--ancestry-path", "--ancestry-path=", "--simplify-by-decoration",
	"--date-order", "--author-date-order", "--topo-order", "--reverse", "--no-walk", "--no-walk=",
	"--do-walk", "--boundary", "--cherry-pick", "--left-only", "--right-only", "--cherry-mark",
	"--since-as-filter=", "--exclude-first-parent-only", "--single-worktree",
}

func checkRevision(arg string) error {
	if arg == "" {
		return nil
	}
	if !strings.HasPrefix(arg, "-") {
		if strings.ContainsAny(arg, "\x00\n") {
			return fmt.Errorf("%w: %q", ErrRevisions, arg)
		}
		return nil
	}
	if n, ok := strings.CutPrefix(arg, "-n"); ok && n != "" && digits(n) {
		return nil
	}
	if len(arg) > 1 && digits(arg[1:]) { // -100: the last hundred
		return nil
	}
	for _, o := range revisionOptions {
		if arg == o || (strings.HasSuffix(o, "=") && strings.HasPrefix(arg, o) && len(arg) > len(o)) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q is not a revision argument forkscan passes to git (revisions, ranges and options that choose commits, such as --all, --branches, --since=, --author=, --max-count=)", ErrRevisions, arg)
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// args are the revision arguments to give git: --all if none.
func (r Revisions) args() []string {
	if len(r) == 0 {
		return []string{"--all"}
	}
	return r
}
