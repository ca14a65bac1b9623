package leaks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type file struct {
	name string
	data []byte
}

func loadTree(tb testing.TB, root string) []file {
	var files []file
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil {
			files = append(files, file{p, data})
		}
		return nil
	})
	if len(files) == 0 {
		tb.Skip("no files under", root)
	}
	return files
}

// BenchmarkDetect runs the detector alone, with gitleaks' default rules
// and five decoding passes, over every file of $(go env GOROOT)/src (or
// LEAKS_TREE), one file after the other, as `gitleaks dir` would: the
// engine's cost without forkscan's walk, reads and workers.
func BenchmarkDetect(b *testing.B) {
	root := os.Getenv("LEAKS_TREE")
	if root == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			b.Skip("no go command")
		}
		root = filepath.Join(strings.TrimSpace(string(out)), "src")
	}
	files := loadTree(b, root)
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	d := New(c)
	d.MaxDecodeDepth = 5
	size := 0
	for _, f := range files {
		size += len(f.data)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, f := range files {
			ours(b, d, f.name, f.data)
		}
	}
}
