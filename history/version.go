package history

import (
	"context"
	"regexp"
	"strconv"
	"sync"
)

// versions are the versions of the gits this process has run, by
// Program: `git version` is asked once.
var versions sync.Map // string → [2]int

var versionLine = regexp.MustCompile(`^git version (\d+)\.(\d+)`)

// gitAtLeast reports whether the git this package runs is at least
// major.minor; a git whose version cannot be read is taken to be older.
func gitAtLeast(ctx context.Context, dir string, major, minor int) bool {
	v, ok := versions.Load(Program)
	if !ok {
		var have [2]int
		if out, err := output(ctx, dir, 1024, "version"); err == nil {
			if m := versionLine.FindSubmatch(out); m != nil {
				have[0], _ = strconv.Atoi(string(m[1]))
				have[1], _ = strconv.Atoi(string(m[2]))
			}
		} else if ctx.Err() != nil {
			return false // not known, not remembered
		}
		v, _ = versions.LoadOrStore(Program, have)
	}
	have := v.([2]int)
	return have[0] > major || have[0] == major && have[1] >= minor
}
