package unpack_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mholt/archives"

	"github.com/forkscan/forkscan/unpack"
)

func TestLimits(t *testing.T) {
	zeros := bytes.Repeat([]byte{0}, 64<<20)
	flat := zipOf(t, file{name: "first.txt", data: []byte(secret)}, file{name: "zeros", data: zeros}) // ~64 KiB expanding a thousandfold
	small := zipOf(t, file{name: "zeros", data: zeros[:6<<20]})
	nested := zipOf(t, file{name: "a.zip", data: small}, file{name: "b.zip", data: small}, file{name: "c.zip", data: small})
	var many []file
	for i := range 2000 {
		many = append(many, file{name: fmt.Sprintf("m%d", i)})
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		lim   unpack.Limits
		limit string // which limit, "" for none
		read  int    // members handed over before it
	}{
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1}, "ratio", 1},
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 1 << 20, MaxBytes: 16 << 20}, "bytes", 1},
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 1 << 20}, "", 2},
		{"nested.zip", nested, unpack.Limits{MaxDepth: 2, MaxRatio: 1 << 20, MaxBytes: 16 << 20}, "bytes", 2},
		{"many.zip", zipOf(t, many...), unpack.Limits{MaxDepth: 1, MaxMembers: 1000}, "members", 0},
		{"many.tar.gz", compress(t, archives.Gz{}, tarOf(t, many...)), unpack.Limits{MaxDepth: 1, MaxMembers: 1000}, "members", 1000},
		{"many.tar", tarOf(t, many...), unpack.Limits{MaxDepth: 1, MaxMembers: 2000}, "", 2000},
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.name, cmp(tc.limit, "none")), func(t *testing.T) {
			w := walk(t, tc.name, tc.data, tc.lim)
			var limit *unpack.LimitError
			switch {
			case tc.limit == "" && w.err != nil:
				t.Fatal(w.err)
			case tc.limit != "" && (!errors.As(w.err, &limit) || !errors.Is(w.err, unpack.ErrLimit)):
				t.Fatalf("error %v, want the %s limit", w.err, tc.limit)
			case tc.limit != "" && limit.Limit != tc.limit:
				t.Fatalf("%v: the %s limit, want %s", w.err, limit.Limit, tc.limit)
			}
			if len(w.members) != tc.read {
				t.Errorf("read %d members, want %d", len(w.members), tc.read)
			}
			if max := cmp(tc.lim.MaxBytes, unpack.DefaultMaxBytes); w.sum.Bytes > max+1 {
				t.Errorf("read %d bytes, over the %d allowed", w.sum.Bytes, max)
			}
		})
	}
}

// TestLimitNamesMember: the error says where the archive overran.
func TestLimitNamesMember(t *testing.T) {
	z := zipOf(t, file{name: "big/zeros", data: bytes.Repeat([]byte{0}, 4<<20)})
	w := walk(t, "x.zip", z, unpack.Limits{MaxDepth: 1, MaxBytes: 1 << 20})
	if w.err == nil || !strings.Contains(w.err.Error(), "big/zeros") {
		t.Fatalf("error %v, want one naming big/zeros", w.err)
	}
}

func cmp[T comparable](v, or T) T {
	var zero T
	if v == zero {
		return or
	}
	return v
}
