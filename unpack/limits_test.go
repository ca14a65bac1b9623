package unpack_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mholt/archives"

	"github.com/forkscan/forkscan/internal/archivetest"
	"github.com/forkscan/forkscan/unpack"
)

func TestLimits(t *testing.T) {
	zeros := bytes.Repeat([]byte{0}, 8<<20)
	flat := archivetest.Zip(t, archivetest.File{Name: "first.txt", Data: []byte(secret)}, archivetest.File{Name: "zeros", Data: zeros}) // ~8 KiB expanding a thousandfold
	small := archivetest.Zip(t, archivetest.File{Name: "zeros", Data: zeros[:6<<20]})
	nested := archivetest.Zip(t, archivetest.File{Name: "a.zip", Data: small}, archivetest.File{Name: "b.zip", Data: small}, archivetest.File{Name: "c.zip", Data: small})
	var many []archivetest.File
	for i := range 2000 {
		many = append(many, archivetest.File{Name: fmt.Sprintf("m%d", i)})
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		lim   unpack.Limits
		limit string // which limit, "" for none
		read  int    // members handed over before it
	}{
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 100}, "ratio", 1},
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 1 << 20, MaxBytes: 4 << 20}, "bytes", 1},
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 1 << 20}, "", 2},
		{"nested.zip", nested, unpack.Limits{MaxDepth: 2, MaxRatio: 1 << 20, MaxBytes: 16 << 20}, "bytes", 2},
		{"many.zip", archivetest.Zip(t, many...), unpack.Limits{MaxDepth: 1, MaxMembers: 1000}, "members", 0},
		{"many.tar.gz", archivetest.Compress(t, archives.Gz{}, archivetest.Tar(t, many...)), unpack.Limits{MaxDepth: 1, MaxMembers: 1000}, "members", 1000},
		{"many.tar", archivetest.Tar(t, many...), unpack.Limits{MaxDepth: 1, MaxMembers: 2000}, "", 2000},
		{"millions.zip", archivetest.ZipClaiming(t, 3_000_000), unpack.Limits{MaxDepth: 1}, "members", 0}, // refused before its directory is read
		{"flat.zip", flat, unpack.Limits{MaxDepth: 1, MaxRatio: 1 << 20, MaxMember: 1 << 20}, "", 1},      // zeros noted, passed over
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
	z := archivetest.Zip(t, archivetest.File{Name: "big/zeros", Data: bytes.Repeat([]byte{0}, 4<<20)})
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
