package leaks

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// sourceFiles returns the Go files of net/http: realistic source text.
func sourceFiles(tb testing.TB) []string {
	names, err := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	if err != nil || len(names) == 0 {
		tb.Skip("no net/http sources:", err)
	}
	files := make([]string, len(names))
	for i, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		files[i] = string(data)
	}
	return files
}

// sourceText returns the Go files of net/http, end to end.
func sourceText(tb testing.TB) string { return strings.Join(sourceFiles(tb), "") }

// BenchmarkDecode times a first decoding pass over each Go file of
// net/http, as the detector makes it, with the decoder and with gitleaks'.
func BenchmarkDecode(b *testing.B) {
	files := sourceFiles(b)
	size := int64(len(strings.Join(files, "")))
	b.Run("leaks", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, f := range files {
				newDecoder().decode(f, nil)
			}
		}
	})
	b.Run("gitleaks", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, f := range files {
				codec.NewDecoder().Decode(f, nil)
			}
		}
	})
}

// BenchmarkScan times the search for encoded runs alone, over the Go
// files of net/http end to end.
func BenchmarkScan(b *testing.B) {
	text := sourceText(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		eachKeptRun(text, func(run) {})
	}
}
