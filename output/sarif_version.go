package output

import (
	"runtime/debug"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// module is forkscan's module path, as the build information names it.
const module = "github.com/forkscan/forkscan"

// driverVersion is the version the SARIF driver states, and the same as
// a semantic version: v as given when it is one ("v1.2.0" is 1.2.0);
// otherwise, for a build from source, 0.0.0-devel with the VCS revision
// and modified flag Go embedded as build metadata
// (0.0.0-devel+3f9c1e2a7b4d.dirty), so two builds are told apart.
func driverVersion(v string) (version, semantic string) {
	if v == "" || v == "(devel)" {
		v = moduleVersion()
	}
	if sv, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err == nil {
		return v, sv.String()
	}
	semantic = "0.0.0-devel"
	if rev, dirty := revision(); rev != "" {
		semantic += "+" + rev
		if dirty {
			semantic += ".dirty"
		}
	}
	if v == "" || v == "(devel)" {
		v = semantic
	}
	return v, semantic
}

// moduleVersion is forkscan's module version in this binary: the main
// module's when forkscan is the program, the dependency's when a program
// embeds it; "" or "(devel)" for a build from source.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
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

// revision is the VCS revision Go embedded (its first 12 digits), and
// whether the tree had changes; "" when there is none (go test, go run).
func revision() (rev string, dirty bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	return rev, dirty
}
