package main

import (
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/unpack"
)

// archiveFlags say how far the workers look inside archives and
// compressed files (engine.Config.MaxArchiveDepth and the bounds after
// it).
type archiveFlags struct {
	depth   int
	size    string
	members int
	ratio   int
}

func (a *archiveFlags) register(fl *pflag.FlagSet) {
	fl.IntVar(&a.depth, "max-archive-depth", 8, "read the members of archives and compressed files this many levels deep for content scanners (0: scan archives as files)")
	fl.StringVar(&a.size, "max-archive-size", "1GiB", "the most bytes one archive may expand to, all levels counted")
	fl.IntVar(&a.members, "max-archive-members", unpack.DefaultMaxMembers, "the most members one archive may hold, all levels counted")
	fl.IntVar(&a.ratio, "max-archive-ratio", unpack.DefaultMaxRatio, "the most bytes one archive may expand to per byte of its own, past a MiB")
}

// apply puts the flags into cfg.
func (a archiveFlags) apply(cfg *engine.Config) error {
	size, err := parseSize(a.size)
	switch {
	case err != nil:
		return usageErr("--max-archive-size: %w", err)
	case size <= 0:
		return usageErr("--max-archive-size: %q is not a positive size", a.size)
	case a.depth < 0:
		return usageErr("--max-archive-depth: %d is negative", a.depth)
	case a.members <= 0:
		return usageErr("--max-archive-members: %d is not positive", a.members)
	case a.ratio <= 0:
		return usageErr("--max-archive-ratio: %d is not positive", a.ratio)
	}
	cfg.MaxArchiveDepth, cfg.MaxArchiveSize, cfg.MaxArchiveMembers, cfg.MaxArchiveRatio = a.depth, size, a.members, a.ratio
	return nil
}
