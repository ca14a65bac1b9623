package leaks

import "strings"

// The decoding passes, as gitleaks' detect/codec package makes them: each
// pass decodes, in place, every run of percent, unicode, hex or base64
// encoding it finds in the previous pass's text, and records a segment for
// each, through which a match in the decoded text maps back to the
// original text.

// segment is a run of text that one decoding pass decoded.
type segment struct {
	// original is the span in the original text the segment comes from.
	original span
	// encoded is the span of the encoded run in the pass's input text.
	encoded span
	// decoded is the span of the decoded run in the pass's output text.
	decoded span
	// preds are the segments of the previous pass.
	preds *pass
	// depth is the number of the pass, from 1.
	depth int32
	// encodings are the run's encoding and those of the previous pass's
	// segments it overlaps.
	encodings encoding
}

// pass holds the segments a pass was given, shared by all it returns.
type pass struct{ segs []*segment }

// decoder decodes text one pass at a time; it caches decoded values per
// fragment, as gitleaks does.
type decoder struct {
	cache cache
	// scratch holds the value of the run being decoded.
	scratch []byte
}

// newDecoder returns a decoder for the passes over one fragment.
func newDecoder() *decoder { return &decoder{} }

// decode returns text with every encoded run found in it decoded in place,
// and the segments of this pass (none when nothing decoded); prev are the
// previous pass's segments (nil for the first pass), as decode returned
// them.
func (d *decoder) decode(text string, prev []*segment) (string, []*segment) {
	b := passBuilder{d: d, text: text, prev: prev, preds: &pass{prev}}
	eachKeptRun(text, b.add)
	if b.segs.n == 0 {
		return text, nil
	}
	b.out.WriteString(text[b.last:])
	return b.out.String(), b.segs.list()
}

// decodeRun returns the decoded value of v, a run of encoding enc, in
// d.scratch; ok is false when gitleaks decodes it to "".
func (d *decoder) decodeRun(enc encoding, v string) (value []byte, ok bool) {
	if cap(d.scratch) < len(v) {
		// A value is never longer than its run.
		d.scratch = make([]byte, 0, len(v))
	}
	d.scratch, ok = d.cache.appendDecoded(d.scratch[:0], enc, v)
	return d.scratch, ok
}

// passBuilder builds the text and segments of a pass, run after run.
type passBuilder struct {
	d     *decoder
	text  string
	prev  []*segment
	preds *pass
	// out is the pass's text up to last in text, once a run decoded.
	out  strings.Builder
	last int
	segs segmentArena
}

// add decodes the run r, and adds it to the pass's text and segments if
// it decodes.
func (b *passBuilder) add(r run) {
	v := b.text[r.start:r.end]
	value, ok := b.d.decodeRun(r.enc, v)
	if b.segs.n > 0 {
		b.d.cache.keep(v, value)
	}
	if !ok {
		return
	}
	if b.segs.n == 0 {
		// The text only shrinks from here on, no value being longer than
		// its run.
		b.out.Grow(len(b.text) - len(v) + len(value))
	}
	b.out.WriteString(b.text[b.last:r.start])
	start := b.out.Len()
	b.out.Write(value)
	b.last = r.end
	b.segs.add(b.segment(r, span{start, b.out.Len()}))
}

// segment returns the segment of the run r, decoded to the span decoded
// of the pass's text.
func (b *passBuilder) segment(r run, decoded span) segment {
	s := segment{
		original:  toOriginal(b.prev, r.span),
		encoded:   r.span,
		decoded:   decoded,
		preds:     b.preds,
		depth:     1,
		encodings: r.enc,
	}
	if len(b.prev) > 0 {
		s.depth = b.prev[0].depth + 1
		lo, hi := overlapRange(b.prev, r.span)
		for _, p := range b.prev[lo:hi] {
			s.encodings |= p.encodings
		}
	}
	return s
}

// maxChunk is the most segments a segmentArena allocates at once.
const maxChunk = 1 << 12

// segmentArena allocates the segments of a pass in chunks, each as large
// as all before it up to maxChunk, so that none moves as more are added
// and none is copied.
type segmentArena struct {
	chunks [][]segment
	n      int
}

// add adds s.
func (a *segmentArena) add(s segment) {
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last]) == cap(a.chunks[last]) {
		a.chunks = append(a.chunks, make([]segment, 0, min(max(a.n, 8), maxChunk)))
		last++
	}
	a.chunks[last] = append(a.chunks[last], s)
	a.n++
}

// list returns the segments added, in order.
func (a *segmentArena) list() []*segment {
	segs := make([]*segment, 0, a.n)
	for _, chunk := range a.chunks {
		for i := range chunk {
			segs = append(segs, &chunk[i])
		}
	}
	return segs
}
