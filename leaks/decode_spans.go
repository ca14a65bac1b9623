package leaks

import (
	"sort"
	"strconv"
	"strings"
)

// span is the bytes [start,end) of a text. Its methods treat the end as
// included, as gitleaks' do: spans that only touch overlap.
type span struct{ start, end int }

// overlaps reports whether s and o overlap or touch.
func (s span) overlaps(o span) bool { return o.start <= s.end && o.end >= s.start }

// contains reports whether o lies within s.
func (s span) contains(o span) bool { return s.start <= o.start && o.end <= s.end }

// merge returns the smallest span holding both s and o.
func (s span) merge(o span) span { return span{min(s.start, o.start), max(s.end, o.end)} }

// overflow returns how far o reaches out of s at each end: the start's
// offset (at most 0) and the end's (at least 0).
func (s span) overflow(o span) span {
	m := s.merge(o)
	return span{m.start - s.start, m.end - s.end}
}

// add returns s moved by o at each end.
func (s span) add(o span) span { return span{s.start + o.start, s.end + o.end} }

// encoding is a set of encodings, one bit each.
type encoding uint8

// The encodings, from the highest precedence to the lowest.
const (
	percentEnc encoding = 1 << iota
	unicodeEnc
	hexEnc
	base64Enc
)

// encodingNames are the encodings' names, bit by bit.
var encodingNames = [...]string{"percent", "unicode", "hex", "base64"}

// outranks reports whether e, one encoding, takes precedence over o when
// their runs overlap.
func (e encoding) outranks(o encoding) bool { return e < o }

// overlapRange returns the bounds of the segments of segs whose decoded
// span overlaps sp. segs must be in the order decode returns them: their
// decoded spans never overlap but may touch, so those overlapping sp are
// contiguous.
func overlapRange(segs []*segment, sp span) (lo, hi int) {
	lo = sort.Search(len(segs), func(i int) bool { return segs[i].decoded.end >= sp.start })
	hi = lo + sort.Search(len(segs)-lo, func(i int) bool { return segs[lo+i].decoded.start > sp.end })
	return lo, hi
}

// overlapping returns the segments whose decoded span overlaps [start,end]
// (gitleaks' SegmentsWithDecodedOverlap). segs must be in decode's order,
// as any part of a list decode or overlapping returned is.
func overlapping(segs []*segment, start, end int) []*segment {
	lo, hi := overlapRange(segs, span{start, end})
	return segs[lo:hi:hi]
}

// originalSpan maps [start,end) in the current pass's text back to the
// original text (gitleaks' AdjustMatchIndex). segs must be in decode's
// order.
func originalSpan(segs []*segment, start, end int) (int, int) {
	sp := toOriginal(segs, span{start, end})
	return sp.start, sp.end
}

// toOriginal maps sp, a span of the text that segs were decoded into, up
// through the passes to the original text, as gitleaks does: to the
// original span of the first segment holding it; else, widened by how far
// it reaches out of the segments it overlaps, to their encoded spans, and
// on up; and unmapped from the first pass where it overlaps none.
func toOriginal(segs []*segment, sp span) span {
	for len(segs) > 0 {
		lo, hi := overlapRange(segs, sp)
		var up span
		for _, p := range segs[lo:hi] {
			if p.decoded.contains(sp) {
				return p.original
			}
			o := p.encoded.add(p.decoded.overflow(sp))
			if up.end == 0 { // gitleaks' test for "nothing yet"
				up = o
			} else {
				up = up.merge(o)
			}
		}
		if up.end == 0 {
			return sp
		}
		sp = up
		segs = segs[0].preds.segs
	}
	return sp
}

// segmentsLine returns text from the start of the line holding the
// segments' decoded spans (from its newline, included, if it has one) to
// the end of the line where they end (gitleaks' CurrentLine); all of text
// when there are no segments.
func segmentsLine(segs []*segment, text string) string {
	if len(segs) == 0 {
		return text
	}
	d := segs[0].decoded
	for _, s := range segs[1:] {
		d = d.merge(s.decoded)
	}
	start, end := 0, len(text)
	if d.start >= 0 {
		if i := strings.LastIndexByte(text[:min(d.start+1, len(text))], '\n'); i >= 0 {
			start = i
		}
	}
	if d.end < len(text) {
		if i := strings.IndexByte(text[max(d.end, 0):], '\n'); i >= 0 {
			end = max(d.end, 0) + i
		}
	}
	return text[start:max(start, end)]
}

// segmentTags returns the tags of the segments (gitleaks' Tags): a
// "decoded:NAME" for each of their encodings, then "decode-depth:N" with
// the first one's depth.
func segmentTags(segs []*segment) []string {
	if len(segs) == 0 {
		return []string{}
	}
	var encs encoding
	for _, s := range segs {
		encs |= s.encodings
	}
	tags := make([]string, 0, len(encodingNames)+1)
	for i, name := range encodingNames {
		if encs&(1<<i) != 0 {
			tags = append(tags, "decoded:"+name)
		}
	}
	return append(tags, "decode-depth:"+strconv.Itoa(int(segs[0].depth)))
}
