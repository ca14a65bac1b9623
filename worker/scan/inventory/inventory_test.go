package inventory

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLanguage(t *testing.T) {
	cases := map[string]string{
		"main.go": "Go", "x/y/Makefile": "Makefile", "README.MD": "Markdown", "a.tsx": "TypeScript",
		"noext": "", "weird.zzz": "", "go.mod": "Go Module",
	}
	for path, want := range cases {
		require.Equal(t, want, Language(path), path)
	}
}

func TestCountLines(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{{"", 0}, {"a", 1}, {"a\n", 1}, {"a\nb", 2}, {"\n\n", 2}}
	for _, c := range cases {
		require.Equal(t, c.want, countLines([]byte(c.in)), "%q", c.in)
	}
}
