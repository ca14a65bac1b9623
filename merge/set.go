package merge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/record"
)

// checkSet checks that the shards are one scan's, each once, all there.
// What it holds and says grows with the shards given, never with the
// count their headers name: a header may say 100,000 shards (record.MaxShards)
// while three are given, and what is missing is named in runs.
func (p *Plan) checkSet() []error {
	var errs []error
	first := p.Shards[0]
	at := map[int]string{}
	differing := 0
	for _, s := range p.Shards {
		if why := differ(first.Header, s.Header); why != "" {
			if differing++; differing <= maxNamed {
				errs = append(errs, fmt.Errorf("%w: %s and %s differ in %s", ErrMismatch, first.Name, s.Name, why))
			}
			continue
		}
		if other, twice := at[s.Header.Shard]; twice {
			errs = append(errs, fmt.Errorf("%w: shard %s is both %s and %s", ErrDuplicate, s.Header, other, s.Name))
		}
		at[s.Header.Shard] = s.Name
	}
	if differing > maxNamed {
		errs = append(errs, fmt.Errorf("%w: %d shards in all differ from %s", ErrMismatch, differing, first.Name))
	}
	if len(errs) > 0 {
		return errs
	}
	if err := p.missing(); err != nil {
		errs = p.partial(errs, err)
	}
	return append(errs, p.checkTrees()...)
}

// differ says how two headers differ in what must be the same; "" if not.
func differ(a, b record.ShardHeader) string {
	switch {
	case a.Shards != b.Shards:
		return fmt.Sprintf("their shard count (%d, %d)", a.Shards, b.Shards)
	case a.Split != b.Split:
		return fmt.Sprintf("how they split the tree (by %s, by %s)", a.Split, b.Split)
	case !slices.Equal(a.Roots, b.Roots):
		return fmt.Sprintf("their roots (%s; %s)", strings.Join(a.Roots, ", "), strings.Join(b.Roots, ", "))
	case a.Version != b.Version:
		return fmt.Sprintf("their forkscan version (%s, %s)", a.Version, b.Version)
	case !slices.Equal(a.Scanners, b.Scanners) || a.Settings != b.Settings:
		return fmt.Sprintf("their settings (scanners %s, settings %s; scanners %s, settings %s): scanners, their options, --include/--exclude/--no-ignore or --max-file-size",
			strings.Join(a.Scanners, ","), a.Settings, strings.Join(b.Scanners, ","), b.Settings)
	}
	return ""
}

// checkTrees checks that shards split by size listed the same tree.
func (p *Plan) checkTrees() []error {
	var ref *Shard
	for i := range p.Shards {
		s := &p.Shards[i]
		if s.End == nil || s.End.Tree == "" {
			continue
		}
		if ref == nil {
			ref = s
		} else if s.End.Tree != ref.End.Tree {
			return []error{fmt.Errorf("%w: %s and %s split different trees (listings %s and %s): the tree changed between their runs",
				ErrMismatch, ref.Name, s.Name, ref.End.Tree, s.End.Tree)}
		}
	}
	return nil
}

// maxNamed is how many shards a message names, of those that differ from
// the first, or of those given.
const maxNamed = 5

// given lists the shards given (the first maxNamed), for a message.
func (p *Plan) given() string {
	var parts []string
	for _, s := range p.Shards[:min(len(p.Shards), maxNamed)] {
		parts = append(parts, fmt.Sprintf("%s is %s", s.Name, s.Header))
	}
	if more := len(p.Shards) - maxNamed; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, ", ")
}
