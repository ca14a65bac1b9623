package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// A source build is named by its commit, so that merge tells the shards of
// two builds apart.
func TestDevelVersion(t *testing.T) {
	rev := "7b6e2d1fb9fe78151d098438990ace3563f5f235"
	cases := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"clean", []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}, "0.0.0-devel+7b6e2d1fb9fe"},
		{"modified", []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}, "0.0.0-devel+7b6e2d1fb9fe.modified"},
		{"short revision", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, "0.0.0-devel+abc"},
		{"no VCS", []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}, "(devel)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, develVersion(c.settings))
		})
	}
}
