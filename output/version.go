package output

import (
	"runtime/debug"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// module is forkscan's module path, as the build information names it.
const module = "github.com/forkscan/forkscan"

// BuildVersion is the version of forkscan in this binary: its module's (a
// release go install built, or the forkscan a program embeds); else, for
// a build from source, 0.0.0-devel with the commit Go embedded as build
// metadata (0.0.0-devel+3f9c1e2a7b4d, and .dirty when the work tree had
// changes), so that builds of two commits are told apart (merge compares
// its shards' versions); "(devel)" when Go embedded neither (go test).
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if v := moduleVersion(info); v != "" && v != "(devel)" {
		return v
	}
	return develVersion(info.Settings)
}

// moduleVersion is forkscan's module version in a build: the main
// module's when forkscan is the program, the dependency's when a program
// embeds it; "" or "(devel)" for a build from source.
func moduleVersion(info *debug.BuildInfo) string {
	if info.Main.Path == module {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == module {
			return d.Version
		}
	}
	return ""
}

// develVersion names a build from source by the VCS settings Go embeds.
func develVersion(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ".dirty"
			}
		}
	}
	if rev == "" {
		return "(devel)"
	}
	return "0.0.0-devel+" + rev + dirty
}

// driverVersion is the version the SARIF driver states, a semantic
// version (its version, which the validator asks to start with a number,
// and its semanticVersion), and the version as given, for its full name:
// v as given ("v1.2.0" is 1.2.0), BuildVersion when v is empty or
// "(devel)", and 0.0.0-devel for what is not a semantic version.
func driverVersion(v string) (given, semantic string) {
	if v == "" || v == "(devel)" {
		v = BuildVersion()
	}
	if sv, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err == nil {
		return v, sv.String()
	}
	return v, "0.0.0-devel"
}
