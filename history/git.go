package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Errors a caller can match.
var (
	// ErrNotRepository: the path given is not a git repository (or git
	// cannot read it).
	ErrNotRepository = errors.New("history: not a git repository")
	// ErrRevisions: the revision arguments are refused (an option that is
	// not a revision argument) or git rejects them.
	ErrRevisions = errors.New("history: bad revision arguments")
	// ErrGit: git failed on the repository (a corrupt object, a missing
	// packfile) or could not be run.
	ErrGit = errors.New("history: git failed")
	// ErrTooLarge: a commit's patch is longer than the bound of one read.
	ErrTooLarge = errors.New("history: patch too large")
)

// Program is the git the package runs: "git" on $PATH unless set.
var Program = "git"

// safeConfig are settings given to every git this package runs, over the
// repository's own: none of them may make git run a program, read
// anything but the objects, or change the patch's form.
var safeConfig = []string{
	"core.fsmonitor=false",
	"core.hooksPath=/dev/null",
	"core.quotePath=true",
	"core.pager=cat",
	"core.untrackedCache=false",
	"color.ui=false",
	"diff.external=",
	"diff.noprefix=false",
	"diff.mnemonicPrefix=false",
	"diff.relative=false",
	"diff.srcPrefix=a/",
	"diff.dstPrefix=b/",
	"diff.suppressBlankEmpty=false",
	"log.showSignature=false",
	"protocol.allow=never",
	"protocol.file.allow=never",
}

// unsafeEnv are variables of the environment that would change what git
// reads or runs; GIT_INDEX_FILE is kept, as a pre-commit hook sets it.
var unsafeEnv = []string{
	"GIT_DIR=", "GIT_WORK_TREE=", "GIT_EXTERNAL_DIFF=", "GIT_DIFF_OPTS=", "GIT_PAGER=",
	"GIT_CONFIG=", "GIT_OBJECT_DIRECTORY=", "GIT_ALTERNATE_OBJECT_DIRECTORIES=",
	"GIT_NAMESPACE=", "GIT_SSH=", "GIT_SSH_COMMAND=", "GIT_ASKPASS=", "GIT_EDITOR=",
	"GIT_TRACE=", "GIT_TRACE2=", "GIT_TRACE2_EVENT=", "GIT_TRACE2_PERF=", "GIT_DIFF_PATH_COUNTER=",
}

// Command is git run on the repository dir with args, safely: the
// settings of safeConfig given on its command line over the repository's
// own, an environment without the variables that redirect git, no
// terminal prompt, no optional locks (a scan writes nothing, not even
// the index's stat cache) and no lazy fetch of missing objects. extra are
// further -c settings (name=value). It is killed when ctx ends, and its
// pipes are closed a second after.
func Command(ctx context.Context, dir string, extra []string, args ...string) *exec.Cmd {
	full := make([]string, 0, 2+2*(len(safeConfig)+len(extra))+len(args))
	full = append(full, "-C", dir)
	for _, c := range append(safeConfig[:len(safeConfig):len(safeConfig)], extra...) {
		full = append(full, "-c", c)
	}
	cmd := exec.CommandContext(ctx, Program, append(full, args...)...)
	cmd.Env = environ()
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !unsafeVar(kv) {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_NO_LAZY_FETCH=1",
		"GIT_NO_REPLACE_OBJECTS=1", "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
}

func unsafeVar(kv string) bool {
	for _, p := range unsafeEnv {
		if strings.HasPrefix(kv, p) {
			return true
		}
	}
	return strings.HasPrefix(kv, "LC_ALL=")
}

// output runs git and returns what it wrote, bounded to most bytes; an
// error carries git's own message.
func output(ctx context.Context, dir string, most int, args ...string) ([]byte, error) {
	return boundedRun(ctx, dir, nil, most, args...)
}

// GitError is a git that failed, with what it said.
type GitError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *GitError) Error() string {
	msg := e.Stderr
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", e.Args[0], firstLines(msg, 3))
}

// Unwrap matches ErrGit and the process's error.
func (e *GitError) Unwrap() []error { return []error{ErrGit, e.Err} }

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "; ")
}

// bounded is a buffer that keeps the first most bytes written to it.
type bounded struct {
	bytes.Buffer
	most int
	over bool
}

func (b *bounded) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.most - b.Len(); len(p) > room {
		b.over = true
		p = p[:max(room, 0)]
	}
	b.Buffer.Write(p)
	return n, nil
}
