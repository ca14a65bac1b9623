package output

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// A build from source is named by its commit, so that merge tells the
// shards of two builds apart.
func TestDevelVersion(t *testing.T) {
	rev := "7b6e2d1fb9fe78151d098438990ace3563f5f235"
	cases := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"clean", []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}, "0.0.0-devel+7b6e2d1fb9fe"},
		{"modified", []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}, "0.0.0-devel+7b6e2d1fb9fe.dirty"},
		{"short revision", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, "0.0.0-devel+abc"},
		{"no VCS", []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}, "(devel)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := develVersion(c.settings)
			require.Equal(t, c.want, got)
			if got != "(devel)" {
				_, semantic := driverVersion(got)
				require.Equal(t, got, semantic, "a source build's version is a semantic version")
			}
		})
	}
}
