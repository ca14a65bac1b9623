package leaks

import "strings"

// Limits of a decoder's cache: the longest run it keeps, and the bytes of
// runs and values it keeps in all. Longer runs are decoded each time they
// are met, which costs about what looking them up would. The keys are
// copies, so that the cache holds no pass's text. (Gitleaks keys its cache
// by the run alone, as this one does: no run of one encoding is a run of
// another.)
const (
	maxCachedRun   = 256
	maxCachedBytes = 1 << 20
)

// cache holds the decoded values of runs met in the passes over a fragment
// ("" for a run left as it is). A pass that decodes nothing is the last,
// and its runs would never be looked up: so a pass keeps only the runs
// after the first it decodes.
type cache struct {
	values map[string]string
	bytes  int
}

// appendDecoded appends the decoding of v, a run of encoding enc, to dst,
// as the function appendDecoded does, taking it from the cache if it is
// there.
func (c *cache) appendDecoded(dst []byte, enc encoding, v string) ([]byte, bool) {
	if len(v) <= maxCachedRun {
		if value, ok := c.values[v]; ok {
			return append(dst, value...), value != ""
		}
	}
	return appendDecoded(dst, enc, v)
}

// keep adds the run v, decoded to value ("" when left as it is), while the
// cache has room for it.
func (c *cache) keep(v string, value []byte) {
	size := len(v) + len(value)
	if len(v) > maxCachedRun || c.bytes+size > maxCachedBytes {
		return
	}
	if _, ok := c.values[v]; ok {
		return
	}
	if c.values == nil {
		c.values = make(map[string]string)
	}
	c.values[strings.Clone(v)] = string(value)
	c.bytes += size
}
