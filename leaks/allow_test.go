package leaks

import (
	"fmt"
	"testing"
)

// TestPathMemo holds the remembered answers of an allowlist's paths to
// the patterns' own, for paths seen again and past the memo's bound.
func TestPathMemo(t *testing.T) {
	a := newAllow(&Allowlist{Paths: []string{`go\.sum$`, `(?:^|/)vendor/`}})
	if err := a.compile(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for i := range mostPaths + 100 {
			for _, tc := range []struct {
				path string
				want bool
			}{
				{fmt.Sprintf("m%d/go.sum", i), true},
				{fmt.Sprintf("vendor/m%d.go", i), true},
				{fmt.Sprintf("m%d/main.go", i), false},
			} {
				if got := a.pathAllowed(tc.path); got != tc.want {
					t.Fatalf("round %d: pathAllowed(%q) = %v, want %v", round, tc.path, got, tc.want)
				}
			}
		}
		if n := len(a.seen.m); n > mostPaths {
			t.Fatalf("round %d: the memo holds %d paths, more than %d", round, n, mostPaths)
		}
	}
	if a.pathAllowed("") {
		t.Error(`pathAllowed("") = true`)
	}
}
