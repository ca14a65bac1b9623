package leaks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/forkscan/forkscan/leaks"
)

// FuzzParseAsGitleaks reads configs with Parse and with gitleaks, which
// must agree but where Parse makes a check gitleaks does not. A config
// may extend base.toml, the second input. The corpus starts with the
// configs of configCases but those extending the default config (slow to
// read with gitleaks, and TestParseAsGitleaks reads them).
func FuzzParseAsGitleaks(f *testing.F) {
	for _, tc := range configCases {
		if strings.Contains(strings.ToLower(tc.text), "usedefault") {
			continue
		}
		b, ok := tc.files["base.toml"]
		if !ok {
			b = base
		}
		f.Add(tc.text, b)
	}
	f.Fuzz(func(t *testing.T, text, b string) {
		files := map[string]string{"base.toml": b}
		theirs, theirErr := gitleaks(text, files)
		ours, ourErr := parse(text, files)
		if errors.Is(ourErr, leaks.ErrBeyond) {
			return // gitleaks accepts it, or reads it at random (keys given twice)
		}
		if theirErr == nil && ourErr != nil && strings.Contains(ourErr.Error(), "no such file was given") {
			return // gitleaks' memory file system has directories, and cleans names
		}
		compare(t, theirs, theirErr, ours, ourErr, false)
	})
}
