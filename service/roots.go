package service

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/forkscan/forkscan/output"
)

// within reports whether the clean absolute path p is root or lies under
// it. The root "/" holds every absolute path: it ends with the separator
// already, and must not get a second one.
func within(root, p string) bool {
	if p == root {
		return true
	}
	prefix := root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	return strings.HasPrefix(p, prefix)
}

// runChecked runs a scan if its paths still pass the check Submit made
// (inRoots: absolute, resolved, inside a root), against the roots the
// server has now: since the scan was submitted, or last ran before a
// restart, a root may have been dropped from the server's settings, a
// path removed, or a symlink put in its way. A path that fails ends the
// scan failed, nothing scanned.
func (s *Server) runChecked(ctx context.Context, a *active) (*output.Summary, error) {
	for _, p := range a.scan.Request.Paths { // repositories are checked as they are cloned or opened
		if _, err := s.inRoots(p); err != nil {
			return nil, fmt.Errorf("nothing scanned: its paths were checked again before it ran: %w", err)
		}
	}
	return s.runScan(ctx, a)
}
