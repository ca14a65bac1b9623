package layers_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/realtool"
)

// maxCommitted bounds a committed file: sources, schemas and test data are
// far smaller; a build output is not.
const maxCommitted = 1 << 20

// No build output is committed: no file git tracks is an executable (ELF,
// as go build writes here; Mach-O; PE) or over maxCommitted. A stale binary
// once sat in cmd/forkscan, and every scan of the repository listed it.
func TestNoBuildOutputCommitted(t *testing.T) {
	root, _ := moduleRoot(t)
	realtool.Need(t, "git")
	list, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		realtool.Missing(t, "the module is not a git work tree ("+err.Error()+")", "test a clone")
	}
	magics := [][]byte{{0x7f, 'E', 'L', 'F'}, {0xcf, 0xfa, 0xed, 0xfe}, {0xfe, 0xed, 0xfa, 0xcf}, {'M', 'Z'}}
	files := bytes.Split(bytes.TrimSuffix(list, []byte{0}), []byte{0})
	require.NotEmpty(t, files)
	for _, name := range files {
		path := filepath.Join(root, string(name))
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink
		}
		require.LessOrEqual(t, info.Size(), int64(maxCommitted), "%s is committed and large: a build output?", name)
		head := make([]byte, 4)
		f, err := os.Open(path)
		require.NoError(t, err)
		n, _ := io.ReadFull(f, head)
		f.Close()
		for _, m := range magics {
			require.False(t, bytes.HasPrefix(head[:n], m), "%s is committed and is an executable", name)
		}
	}
}
