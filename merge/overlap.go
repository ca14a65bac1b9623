package merge

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"maps"
	"os"
	"slices"

	"github.com/forkscan/forkscan/resume"
)

// fileSet is the files the shards recorded, each as a 64-bit hash of its
// root and path, with the input (slot) that recorded it: 12 bytes a file
// and the map's overhead, where the records would be hundreds. A hash
// met in two inputs is a suspect, checked by its names (overlaps), so a
// collision of two hashes is never taken for an overlap.
type fileSet struct {
	seed     maphash.Seed
	slot     map[uint64]int32
	suspects map[uint64]bool
}

func (s *fileSet) hash(root, path string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(root)
	h.WriteByte(0)
	h.WriteString(path)
	return h.Sum64()
}

func (s *fileSet) add(root, path string, slot int32) {
	k := s.hash(root, path)
	had, ok := s.slot[k]
	switch {
	case !ok:
		s.slot[k] = slot
	case had != slot:
		if s.suspects == nil {
			s.suspects = map[uint64]bool{}
		}
		s.suspects[k] = true
	}
}

// maxOverlaps is how many files in two shards are named.
const maxOverlaps = 5

// overlaps reads the inputs again for the suspects' names, and returns an
// error for each file that two inputs recorded.
func overlaps(names []string, seen *fileSet) []error {
	type file struct{ root, path string }
	where := map[file][]string{} // a suspect file → the inputs that have it
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return []error{fmt.Errorf("%w: %w", ErrNotShard, err)}
		}
		for l, err := range resume.Lines(f) {
			if err != nil || !l.IsRecord() || !seen.suspects[seen.hash(l.Record.Root, l.Record.Path)] {
				continue
			}
			k := file{l.Record.Root, l.Record.Path}
			if ins := where[k]; len(ins) == 0 || ins[len(ins)-1] != name {
				where[k] = append(ins, name)
			}
		}
		_ = f.Close()
	}
	var errs []error
	n := 0
	for _, k := range slices.SortedFunc(maps.Keys(where), func(a, b file) int {
		return cmp.Or(cmp.Compare(a.root, b.root), cmp.Compare(a.path, b.path))
	}) {
		ins := where[k]
		if len(ins) < 2 {
			continue
		}
		if n++; n <= maxOverlaps {
			errs = append(errs, fmt.Errorf("%w: %s (in %s) is in %s and %s", ErrOverlap, k.path, k.root, ins[0], ins[1]))
		}
	}
	if n > maxOverlaps {
		errs = append(errs, fmt.Errorf("%w: %d files in all are in two shards", ErrOverlap, n))
	}
	return errs
}
