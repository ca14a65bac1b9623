package leaks

// keywords finds every occurrence of a set of lowercase keywords in text,
// ASCII letters compared without case, in one pass and without a lowered
// copy of the text: an Aho-Corasick automaton compiled to a table of
// transitions over byte classes (the bytes the keywords use, A-Z folded
// onto a-z, and one class for every other byte).
type keywords struct {
	words   []string
	class   [256]uint16
	classes int
	next    []int32   // next[state*classes+class]
	out     [][]int32 // out[state]: the words ending here, suffixes included
	// table is next for the search: a state is its row's offset in
	// table shifted left by one, its low bit set if words end there.
	table []int32
}

// hit is one occurrence of a keyword: its start in the text and its index.
type hit struct {
	pos  int
	word int32
}

// newKeywords builds the automaton for words (lowercase).
func newKeywords(words []string) *keywords {
	k := &keywords{words: words, classes: 1}
	for _, w := range words {
		for i := 0; i < len(w); i++ {
			if k.class[w[i]] == 0 {
				k.class[w[i]] = uint16(k.classes)
				k.classes++
			}
		}
	}
	for c := byte('A'); c <= 'Z'; c++ {
		k.class[c] = k.class[c+'a'-'A']
	}
	k.build()
	k.flatten()
	return k
}

// flatten lays next out as table, a row of classes per state, each
// entry its target's row offset shifted left by one, the low bit set
// where words end; next is dropped.
func (k *keywords) flatten() {
	k.table = make([]int32, len(k.out)*k.classes)
	for i, t := range k.next {
		v := t * int32(k.classes) << 1
		if len(k.out[t]) > 0 {
			v |= 1
		}
		k.table[i] = v
	}
	k.next = nil
}

// build makes the trie, then fills in the failure transitions breadth
// first, so that every state has a transition for every class.
func (k *keywords) build() {
	k.next = make([]int32, k.classes)
	k.out = [][]int32{nil}
	for i, w := range k.words {
		s := int32(0)
		for j := 0; j < len(w); j++ {
			c := int32(k.class[w[j]])
			if k.next[s*int32(k.classes)+c] == 0 {
				k.next[s*int32(k.classes)+c] = int32(len(k.out))
				k.next = append(k.next, make([]int32, k.classes)...)
				k.out = append(k.out, nil)
			}
			s = k.next[s*int32(k.classes)+c]
		}
		k.out[s] = append(k.out[s], int32(i))
	}
	fail := make([]int32, len(k.out))
	queue := make([]int32, 0, len(k.out))
	for c := 0; c < k.classes; c++ {
		if t := k.next[c]; t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		k.out[s] = append(k.out[s], k.out[fail[s]]...)
		for c := int32(0); c < int32(k.classes); c++ {
			i := s*int32(k.classes) + c
			if t := k.next[i]; t != 0 && !(s == 0) {
				fail[t] = k.next[fail[s]*int32(k.classes)+c]
				queue = append(queue, t)
			} else if t == 0 {
				k.next[i] = k.next[fail[s]*int32(k.classes)+c]
			}
		}
	}
}

// find appends to hits every occurrence of every word in text, ordered by
// where they end.
func (k *keywords) find(text string, hits []hit) []hit {
	if len(k.words) == 0 {
		return hits
	}
	table, class := k.table, &k.class
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = table[s>>1+int32(class[text[i]])]
		if s&1 != 0 {
			for _, w := range k.out[s>>1/int32(k.classes)] {
				hits = append(hits, hit{pos: i + 1 - len(k.words[w]), word: w})
			}
		}
	}
	return hits
}

// any reports whether text holds one of the words.
func (k *keywords) any(text string) bool {
	if len(k.words) == 0 {
		return false
	}
	table, class := k.table, &k.class
	s := int32(0)
	for i := 0; i < len(text); i++ {
		if s = table[s>>1+int32(class[text[i]])]; s&1 != 0 {
			return true
		}
	}
	return false
}
