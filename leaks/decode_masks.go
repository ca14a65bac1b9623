package leaks

import "math/bits"

// blockMasks speeds up runScanner's search for the bytes that may start a
// run and for the end of base64 bytes, by the classes of the text's bytes
// taken 64 at a time into bit masks, one block of the text at a time.
// Positions asked for should not go back to an earlier block, or it is read
// again.
type blockMasks struct {
	s    string
	base int // the block's start, a multiple of 64; -64 before the first
	// word has bit i set when s[base+i] is a base64 byte; start when it is
	// a base64 byte, '%' or '\\'. Bits past the text's end are clear, so
	// that neither search goes past it.
	word, start uint64
}

// newBlockMasks returns the masks of s, none read yet.
func newBlockMasks(s string) blockMasks { return blockMasks{s: s, base: -64} }

// load reads the masks of the block starting at base.
func (m *blockMasks) load(base int) {
	b := m.s[base:min(base+64, len(m.s))]
	var word, start uint64
	k := 0
	for ; k+8 <= len(b); k += 8 {
		c := b[k : k+8]
		x := uint64(byteClass[c[0]]) | uint64(byteClass[c[1]])<<8 |
			uint64(byteClass[c[2]])<<16 | uint64(byteClass[c[3]])<<24 |
			uint64(byteClass[c[4]])<<32 | uint64(byteClass[c[5]])<<40 |
			uint64(byteClass[c[6]])<<48 | uint64(byteClass[c[7]])<<56
		word |= lowBits(x) << k
		start |= lowBits(x|x>>markShift) << k
	}
	for ; k < len(b); k++ {
		cl := uint64(byteClass[b[k]])
		word |= (cl & 1) << k
		start |= ((cl | cl>>markShift) & 1) << k
	}
	m.base, m.word, m.start = base, word, start
}

// lowBits gathers the lowest bit of each byte of x, byte i's to bit i.
func lowBits(x uint64) uint64 {
	return (x & 0x0101010101010101) * 0x0102040810204080 >> 56
}

// startAt returns the first i >= p where s[i] may start a run: a base64
// byte, '%' or '\\'; len(s) when there is none.
func (m *blockMasks) startAt(p int) int {
	if d := uint(p - m.base); d < 64 {
		if rest := m.start >> d; rest != 0 {
			return p + bits.TrailingZeros64(rest)
		}
	}
	return m.find(p, false)
}

// wordEnd returns the end of the base64 bytes starting at p.
func (m *blockMasks) wordEnd(p int) int {
	if d := uint(p - m.base); d < 64 {
		if rest := ^m.word >> d; rest != 0 {
			return p + bits.TrailingZeros64(rest)
		}
	}
	return m.find(p, true)
}

// find returns startAt(p), or wordEnd(p) if end, reading blocks as needed.
func (m *blockMasks) find(p int, end bool) int {
	for p < len(m.s) {
		if base := p &^ 63; base != m.base {
			m.load(base)
		}
		rest := m.start
		if end {
			rest = ^m.word
		}
		if rest >>= p & 63; rest != 0 {
			return p + bits.TrailingZeros64(rest)
		}
		p = m.base + 64
	}
	return len(m.s)
}
