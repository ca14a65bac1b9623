package leaks

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zricethezav/gitleaks/v8/detect"
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
	return files
}

func TestSpeed(t *testing.T) {
	root := os.Getenv("LEAKS_SPEED")
	if root == "" {
		t.Skip("LEAKS_SPEED")
	}
	files := loadTree(t, root)
	g, _ := detect.NewDetectorDefaultConfig()
	g.MaxDecodeDepth = 5
	d := New(fromGitleaks(g.Config))
	d.MaxDecodeDepth = 5
	start := time.Now()
	n := 0
	for _, f := range files {
		n += len(ours(t, d, f.name, f.data))
	}
	t.Logf("ours: %v, %d findings", time.Since(start), n)
	if os.Getenv("LEAKS_ORACLE") != "" {
		start = time.Now()
		n = 0
		for _, f := range files {
			n += len(oracle(t, g, f.name, f.data))
		}
		t.Logf("gitleaks: %v, %d findings", time.Since(start), n)
	}
}

