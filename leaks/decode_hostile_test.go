package leaks

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// decodeAll decodes text pass after pass until a pass decodes nothing, at
// most passes passes, and returns the last text, the passes that decoded
// something, and the bytes allocated meanwhile.
func decodeAll(text string, passes int) (string, int, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, segs, n := newDecoder(), []*segment(nil), 0
	for ; n < passes; n++ {
		if text, segs = d.decode(text, segs); len(segs) == 0 {
			break
		}
	}
	runtime.ReadMemStats(&after)
	return text, n, after.TotalAlloc - before.TotalAlloc
}

// TestDecodeHostile decodes texts made to be costly, and checks that the
// bytes allocated stay within a few times the text's size, and
// segmentBytes a segment. Under the race detector the texts are 16 times
// smaller, and the nested base64 30 deep, not 50 (26 MB).
func TestDecodeHostile(t *testing.T) {
	mb, depth := 1<<20, 50
	if raceDetector {
		mb, depth = 1<<16, 30
	}
	nested := "key: 50 deep"
	for range depth {
		nested = b64Of(nested)
	}
	for _, c := range []struct {
		name   string
		text   string
		passes int // the passes that decode something
		want   string
		segs   int // the segments of all passes, if many
	}{
		{"base64 nested 50 deep", nested, depth, "key: 50 deep", 0},
		{"percent line", "%41" + strings.Repeat("x%%4%g", 2*mb) + "%42", 1, "", 0},
		{"percent runs", strings.Repeat("%41", 3*mb), 1, strings.Repeat("A", 3*mb), 0},
		{"percent of percent", strings.Repeat("%2541", 2*mb), 2, strings.Repeat("A", 2*mb), 0},
		{"code points", strings.Repeat("U+0041 ", 3*mb/2), 1, strings.Repeat("A", 3*mb/2), 0},
		{"escapes", strings.Repeat(`\u0041`, 3*mb/2), 1, strings.Repeat("A", 3*mb/2), 0},
		{"backslashes", strings.Repeat(`\`, 10*mb), 0, "", 0},
		{"base64 line", strings.Repeat("eHl6", 5*mb/2), 1, strings.Repeat("xyz", 5*mb/2), 0},
		{"base64 not decoded", strings.Repeat("AAA1", 5*mb/2), 0, "", 0},
		{"hex line", strings.Repeat("41", 5*mb), 1, strings.Repeat("A", 5*mb), 0},
		{"short words", strings.Repeat("U+004 a1_/+-", mb), 0, "", 0},
		{"invalid UTF-8", randomBytes(10*mb, 0x80), 0, "", 0},
		{"many segments", strings.Repeat("%2541\n", mb), 2, strings.Repeat("A\n", mb), 2 * mb},
	} {
		t.Run(c.name, func(t *testing.T) {
			text, passes, alloc := decodeAll(c.text, 60)
			if passes != c.passes {
				t.Errorf("%d passes decoded something, want %d", passes, c.passes)
			}
			if c.want != "" && text != c.want {
				t.Errorf("decoded to %.40q…, want %.40q…", text, c.want)
			}
			if alloc > 6*uint64(len(c.text))+segmentBytes*uint64(c.segs) {
				t.Errorf("allocated %d bytes for a text of %d", alloc, len(c.text))
			}
		})
	}
}

// segmentBytes bounds the bytes a segment costs: the segment, its pointer
// in the list of its pass, and the chunk it is in not yet full.
const segmentBytes = 80

// randomBytes returns n random bytes, each with the bits of set set.
func randomBytes(n int, set byte) string {
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64()|uint64(set)*0x0101010101010101)
	}
	return string(b[:n])
}

// TestDecodeInvalidUTF8 compares the passes over random bytes, and over
// encoded pieces among bytes that are not UTF-8, with gitleaks'.
func TestDecodeInvalidUTF8(t *testing.T) {
	compareDecode(t, randomBytes(1<<16, 0), 200)
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	for b.Len() < 1<<16 {
		b.WriteString(randomBytes(rng.IntN(8), 0x80))
		b.WriteString(randomText(rng, 1))
	}
	compareDecode(t, b.String(), 2000)
}
