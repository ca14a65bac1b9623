package external

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// normalPath is how a path a tool printed is compared with the names it
// was given: a file: URI made a path, a relative path taken from the
// working directory (the tool's, which is the worker's), cleaned, so that
// "a/b.py", "./a/b.py", "/abs/a/b.py" and "file:///abs/a/b.py" all meet.
// A path that cannot be read stays as printed.
func normalPath(p string) string {
	if strings.HasPrefix(p, "file:") {
		if u, err := url.Parse(p); err == nil && u.Path != "" {
			p = u.Path
		} else {
			p = strings.TrimPrefix(strings.TrimPrefix(p, "file:"), "//") // not escaped as a URI should be
		}
	} else if u, err := url.Parse(p); err == nil && u.Scheme == "" && strings.Contains(p, "%") {
		p = u.Path // a relative URI, as SARIF writes them: spaces as %20
	}
	if !filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			p = filepath.Join(wd, p)
		}
	}
	return filepath.Clean(p)
}
