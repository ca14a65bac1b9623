package history

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gitleaks/go-gitdiff/gitdiff"

	"github.com/forkscan/forkscan/internal/realtool"
)

// gitdiffChanges is what gitleaks' parser makes of a patch, as changes
// must: each hunk's added lines of each file not deleted, binary files by
// name.
func gitdiffChanges(patch []byte) []Change {
	files, err := gitdiff.Parse(bytes.NewReader(patch))
	if err != nil {
		return nil
	}
	var out []Change
	for f := range files {
		switch {
		case f.IsDelete:
		case f.IsBinary:
			out = append(out, Change{Path: f.NewName, Binary: true})
		default:
			for _, h := range f.TextFragments {
				out = append(out, Change{Path: f.NewName, Line: int(h.NewPosition), Text: []byte(h.Raw(gitdiff.OpAdd))})
			}
		}
	}
	return out
}

func sameChanges(t *testing.T, what string, patch []byte) {
	t.Helper()
	got, want := changes(patch), gitdiffChanges(patch)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w Change
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%s: change %d of %d/%d:\nmine    %q %d %q %v\ngitdiff %q %d %q %v\npatch:\n%s", what, i, len(got), len(want),
					g.Path, g.Line, g.Text, g.Binary, w.Path, w.Line, w.Text, w.Binary, patch)
			}
		}
	}
}

// cutsKeepWholeFiles: a patch cut anywhere reads as the files before the
// cut, each as the whole patch has it (the last change may keep the
// newline that a "\ No newline" after the cut would have taken, and a
// binary file's name may be cut), and each change's text ends where it
// ends: a hunk's lines are a slice of one buffer for the whole patch, and
// appending to one hunk must not write over the next.
func cutsKeepWholeFiles(t *testing.T, what string, patch []byte) {
	t.Helper()
	full := changes(patch)
	for cut := range patch {
		if patch[cut] != '\n' && cut%17 != 0 {
			continue
		}
		got := changes(patch[:cut])
		if len(got) > len(full) {
			t.Fatalf("%s cut at %d: %d changes, the whole patch has %d", what, cut, len(got), len(full))
		}
		for i, g := range got {
			if cap(g.Text) != len(g.Text) {
				t.Fatalf("%s cut at %d: change %d's text has room beyond it (cap %d, len %d)", what, cut, i, cap(g.Text), len(g.Text))
			}
			if i < len(got)-1 && !reflect.DeepEqual(g, full[i]) {
				t.Fatalf("%s cut at %d: change %d = %+v, the whole patch's %+v", what, cut, i, g, full[i])
			}
		}
	}
}

// tricky are lines a file may hold that look like a patch's own.
var tricky = []string{"--- a/x", "+++ b/y", "@@ -1 +1 @@", "\\ No newline at end of file", "diff --git a/q b/q",
	"+plus", "-minus", " space", "", "\r", "line\r", "Binary files a/x and b/x differ", "rename to z", "\x00nul", "caf\xe9", "\tTab", "deleted file mode 100644"}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(12) {
		if rng.IntN(3) == 0 {
			b.WriteString(tricky[rng.IntN(len(tricky))])
		} else {
			fmt.Fprintf(&b, "line %d", rng.IntN(5))
		}
		b.WriteByte('\n')
	}
	s := b.String()
	if rng.IntN(4) == 0 {
		s = strings.TrimSuffix(s, "\n") // no newline at the end
	}
	return s
}

// TestParseAsGitdiff holds changes to gitleaks' parser: on the patches
// git makes of random files full of lines that look like a patch's own,
// under names git quotes, renamed, deleted, binary, with and without
// a last newline, with hunks joined by context; and on every commit of
// this repository's own history, when the test runs in a clone of it.
func TestParseAsGitdiff(t *testing.T) {
	realtool.Need(t, "git")
	dir := t.TempDir()
	git := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=A", "-c", "user.email=a@b", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return out
	}
	git("init", "-q")
	names := []string{"a.txt", "with space.txt", "caf\xe9.txt", "q\"uote.txt", "tab\there.txt", "dir/b.txt", "-dash.txt"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		for _, n := range names {
			p := filepath.Join(dir, n)
			switch rng.IntN(6) {
			case 0:
				_ = os.Remove(p)
			case 1:
				if _, err := os.Stat(p); err == nil {
					_ = os.Rename(p, p+".moved")
				}
			default:
				_ = os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(randomText(rng)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		git("add", "-A")
		git("commit", "-q", "--allow-empty", "-m", fmt.Sprint(i))
		for _, args := range [][]string{baseDiffArgs, append(baseDiffArgs, "--inter-hunk-context=2"), append(baseDiffArgs, "-M"), append(baseDiffArgs, "--no-renames")} {
			patch := git(append(append([]string{"diff-tree"}, args...), format, "HEAD")...)
			sameChanges(t, fmt.Sprintf("commit %d %v", i, args), patch)
			cutsKeepWholeFiles(t, fmt.Sprintf("commit %d %v", i, args), patch)
		}
	}
	own, err := exec.Command("git", "-C", "..", "rev-list", "--all", "--no-merges", "--max-count=200").Output()
	if err != nil {
		t.Log("not in a clone of the repository: its own history is not compared")
		return
	}
	for _, c := range strings.Fields(string(own)) {
		patch, err := exec.Command("git", append(append([]string{"-C", "..", "diff-tree"}, baseDiffArgs...), "-M", format, c)...).Output()
		if err != nil {
			t.Fatal(err)
		}
		sameChanges(t, "commit "+c, patch)
	}
}
