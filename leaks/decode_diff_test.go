package leaks

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// This file compares the decoder with gitleaks' detect/codec package.

// maxPasses bounds the decoding passes of a comparison.
const maxPasses = 10

// segFields are what a segment holds, ours or gitleaks'.
type segFields struct {
	original, encoded, decoded span
	encodings                  encoding
	depth                      int
}

// ourFields returns s's segFields.
func ourFields(s *segment) segFields {
	return segFields{s.original, s.encoded, s.decoded, s.encodings, int(s.depth)}
}

// theirFields returns the segFields of s, a gitleaks segment, read by
// reflection (they are not exported).
func theirFields(s *codec.EncodedSegment) segFields {
	v := reflect.ValueOf(s).Elem()
	sp := func(name string) span {
		f := v.FieldByName(name)
		return span{int(f.Field(0).Int()), int(f.Field(1).Int())}
	}
	return segFields{
		original:  sp("original"),
		encoded:   sp("encoded"),
		decoded:   sp("decoded"),
		encodings: encoding(v.FieldByName("encodings").Int()),
		depth:     int(v.FieldByName("depth").Int()),
	}
}

// compareDecode decodes text pass after pass with both decoders, until a
// pass decodes nothing or maxPasses passes, and fails t at the first
// difference in a pass's text or segments, or in what the functions on
// segments return for about queries spans of each pass's text.
func compareDecode(t testing.TB, text string, queries int) {
	t.Helper()
	theirs, ours := codec.NewDecoder(), newDecoder()
	tText, oText := text, text
	tSegs, oSegs := []*codec.EncodedSegment{}, []*segment(nil)
	for pass := 1; pass <= maxPasses; pass++ {
		tText, tSegs = theirs.Decode(tText, tSegs)
		oText, oSegs = ours.decode(oText, oSegs)
		if tText != oText {
			t.Fatalf("input %q, pass %d: text\n%q, gitleaks'\n%q", text, pass, oText, tText)
		}
		compareSegments(t, text, pass, tSegs, oSegs)
		if len(tSegs) == 0 {
			return
		}
		for _, q := range querySpans(oText, oSegs, queries) {
			compareQuery(t, oText, tSegs, oSegs, q)
		}
	}
}

// compareSegments fails t if the segments of a pass differ.
func compareSegments(t testing.TB, text string, pass int, tSegs []*codec.EncodedSegment, oSegs []*segment) {
	t.Helper()
	if len(tSegs) != len(oSegs) {
		t.Fatalf("input %q, pass %d: %d segments, gitleaks %d", text, pass, len(oSegs), len(tSegs))
	}
	for i := range tSegs {
		if o, th := ourFields(oSegs[i]), theirFields(tSegs[i]); o != th {
			t.Fatalf("input %q, pass %d, segment %d: %+v, gitleaks' %+v", text, pass, i, o, th)
		}
	}
}

// querySpans returns up to n spans of text to query the segments with:
// all pairs of the points around the segments' decoded ends (and 0 and
// len(text)) while they are few, else a random choice of them and of
// spans at random.
func querySpans(text string, segs []*segment, n int) []span {
	points := []int{0, len(text)}
	for _, s := range segs {
		for _, p := range []int{s.decoded.start, s.decoded.end} {
			for d := -1; d <= 1; d++ {
				if q := p + d; 0 <= q && q <= len(text) {
					points = append(points, q)
				}
			}
		}
	}
	slices.Sort(points)
	points = slices.Compact(points)
	if len(points)*(len(points)+1)/2 <= n {
		var spans []span
		for i, s := range points {
			for _, e := range points[i:] {
				spans = append(spans, span{s, e})
			}
		}
		return spans
	}
	rng := rand.New(rand.NewPCG(uint64(len(text)), uint64(len(segs))))
	spans := make([]span, n)
	for i := range spans {
		if i%2 == 0 {
			s, e := points[rng.IntN(len(points))], points[rng.IntN(len(points))]
			spans[i] = span{min(s, e), max(s, e)}
			continue
		}
		s := rng.IntN(len(text) + 1)
		spans[i] = span{s, s + rng.IntN(len(text)+1-s)}
	}
	return spans
}

// compareQuery fails t if overlapping, originalSpan, segmentsLine or
// segmentTags differ from gitleaks' functions for the span q of text.
func compareQuery(t testing.TB, text string, tSegs []*codec.EncodedSegment, oSegs []*segment, q span) {
	t.Helper()
	tOver := codec.SegmentsWithDecodedOverlap(tSegs, q.start, q.end)
	oOver := overlapping(oSegs, q.start, q.end)
	if got, want := ourIndices(oSegs, oOver), theirIndices(tSegs, tOver); !slices.Equal(got, want) {
		t.Fatalf("text %q, span %v: overlapping %v, gitleaks %v", text, q, got, want)
	}
	for _, c := range []struct {
		name  string
		tSegs []*codec.EncodedSegment
		oSegs []*segment
	}{{"overlapping", tOver, oOver}, {"all", tSegs, oSegs}} {
		want := codec.AdjustMatchIndex(c.tSegs, []int{q.start, q.end})
		if s, e := originalSpan(c.oSegs, q.start, q.end); s != want[0] || e != want[1] {
			t.Fatalf("text %q, span %v, %s segments: originalSpan [%d,%d], gitleaks %v", text, q, c.name, s, e, want)
		}
		if got, want := segmentTags(c.oSegs), codec.Tags(c.tSegs); !slices.Equal(got, want) {
			t.Fatalf("text %q, span %v, %s segments: segmentTags %q, gitleaks %q", text, q, c.name, got, want)
		}
		if got, want := segmentsLine(c.oSegs, text), codec.CurrentLine(c.tSegs, text); got != want {
			t.Fatalf("text %q, span %v, %s segments: segmentsLine %q, gitleaks %q", text, q, c.name, got, want)
		}
	}
}

// ourIndices returns the indices in all of the segments of some.
func ourIndices(all, some []*segment) []int {
	var is []int
	for _, s := range some {
		is = append(is, slices.Index(all, s))
	}
	return is
}

// theirIndices returns the indices in all of the gitleaks segments of some.
func theirIndices(all, some []*codec.EncodedSegment) []int {
	var is []int
	for _, s := range some {
		is = append(is, slices.Index(all, s))
	}
	return is
}
