package proctest

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/forkscan/forkscan/internal/testwait"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDescendants starts a process with a child of its own and finds both
// generations: the child under the test, the grandchild under the child.
func TestDescendants(t *testing.T) {
	// sh starts a sleep in the background, then becomes a sleep itself:
	// the background sleep is its child, and the test's grandchild.
	cmd := exec.Command("sh", "-c", "sleep 60 & exec sleep 60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var grandchild int
	t.Cleanup(func() {
		if grandchild > 0 {
			_ = syscall.Kill(grandchild, syscall.SIGKILL)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	testwait.For(t, 10*time.Second, "the shell's background sleep", func() bool {
		return len(Children(cmd.Process.Pid)) == 1
	})
	grandchild = Children(cmd.Process.Pid)[0]
	if got := Descendants(cmd.Process.Pid); !slices.Equal(got, []int{grandchild}) {
		t.Errorf("Descendants(child) = %v, want [%d]", got, grandchild)
	}
	mine := Descendants(os.Getpid())
	for _, want := range []int{cmd.Process.Pid, grandchild} {
		if !slices.Contains(mine, want) {
			t.Errorf("Descendants(test) = %v, lacks %d", mine, want)
		}
	}
	if !Alive(grandchild) {
		t.Errorf("Alive(%d) = false for a sleeping process", grandchild)
	}
}
