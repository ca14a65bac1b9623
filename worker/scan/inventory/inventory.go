// Package inventory registers the built-in "inventory" scanner: per file its
// size, SHA-256, line count, whether it is text or binary, and a language
// guessed from the file name. It reports facts, never findings, so a run of
// inventory alone exits 0.
//
// Import it for its side effect, as image/png is imported for image.Decode:
//
//	import _ "github.com/forkscan/forkscan/worker/scan/inventory"
package inventory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/forkscan/forkscan/worker/scan"
)

// Name is the scanner's registered name.
const Name = "inventory"

func init() {
	scan.Register(scan.Def{
		Name:    Name,
		Doc:     "size, SHA-256, line count, text/binary and language of each file",
		Content: true,
		Binary:  true,
		New:     func() (scan.Scanner, error) { return scan.ScannerFunc(Scan), nil },
	})
}

// Facts is what inventory reports for one file.
type Facts struct {
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Lines    int    `json:"lines"`
	Binary   bool   `json:"binary"`
	Language string `json:"language,omitempty"`
}

// Scan computes the Facts of f.
func Scan(_ context.Context, f *scan.File) (scan.Report, error) {
	sum := f.SHA256 // hashed as the file was read
	if sum == ([sha256.Size]byte{}) {
		sum = sha256.Sum256(f.Data) // a File made by hand
	}
	facts := Facts{
		Size:     int64(len(f.Data)),
		SHA256:   hex.EncodeToString(sum[:]),
		Binary:   f.Binary,
		Language: Language(f.Path),
	}
	if !f.Binary {
		facts.Lines = countLines(f.Data)
	}
	return scan.Report{Data: facts}, nil
}

// countLines counts lines as wc -l does, plus a last line without a newline.
func countLines(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// Language guesses a file's language from its name; "" when unknown.
func Language(path string) string {
	base := filepath.Base(path)
	if lang, ok := byName[base]; ok {
		return lang
	}
	return byExt[strings.ToLower(filepath.Ext(base))]
}

var byName = map[string]string{
	"Makefile":   "Makefile",
	"Dockerfile": "Dockerfile",
	"go.mod":     "Go Module",
	"go.sum":     "Go Checksums",
}

var byExt = map[string]string{
	".go": "Go", ".s": "Assembly", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++",
	".rs": "Rust", ".py": "Python", ".rb": "Ruby", ".java": "Java", ".kt": "Kotlin", ".swift": "Swift",
	".js": "JavaScript", ".mjs": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".jsx": "JavaScript",
	".php": "PHP", ".cs": "C#", ".scala": "Scala", ".sh": "Shell", ".bash": "Shell", ".pl": "Perl",
	".lua": "Lua", ".sql": "SQL", ".html": "HTML", ".css": "CSS", ".json": "JSON", ".yaml": "YAML",
	".yml": "YAML", ".toml": "TOML", ".xml": "XML", ".md": "Markdown", ".txt": "Text", ".proto": "Protocol Buffers",
}
