package merge

import (
	"fmt"
	"strconv"
	"strings"
)

// maxRuns is how many runs of missing shards a message names.
const maxRuns = 5

// missing says which shards of the count the plan lacks, or nil. Its
// shards are sorted and distinct (checkSet saw to that), so the gaps
// between them are the runs of missing shards: found in one pass over the
// shards given, named the first maxRuns of them ("shards 2, 4-99999 of
// 100000"), whatever the count.
func (p *Plan) missing() error {
	count := p.Shards[0].Header.Shards
	var runs []string
	n, next := 0, 1
	gap := func(from, to int) {
		if from > to {
			return
		}
		n += to - from + 1
		switch {
		case len(runs) == maxRuns:
			runs = append(runs, "…")
		case len(runs) > maxRuns:
		case from == to:
			runs = append(runs, strconv.Itoa(from))
		default:
			runs = append(runs, fmt.Sprintf("%d-%d", from, to))
		}
	}
	for _, s := range p.Shards {
		gap(next, s.Header.Shard-1)
		next = s.Header.Shard + 1
	}
	gap(next, count)
	switch {
	case n == 0:
		return nil
	case n == 1:
		return fmt.Errorf("%w: shard %s/%d (given: %s)", ErrMissing, runs[0], count, p.given())
	}
	return fmt.Errorf("%w: shards %s of %d, %d in all (given: %s)", ErrMissing, strings.Join(runs, ", "), count, n, p.given())
}
