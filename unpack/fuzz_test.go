package unpack_test

import (
	"context"
	"testing"

	"github.com/mholt/archives"

	"github.com/forkscan/forkscan/internal/archivetest"
	"github.com/forkscan/forkscan/unpack"
)

// FuzzWalk feeds Walk any bytes under any archive's name: it returns, within
// its bounds, and never panics, whatever the bytes.
func FuzzWalk(f *testing.F) {
	type F = archivetest.File
	tarred := archivetest.Tar(f, F{Name: "a/b.txt", Data: []byte(secret)}, F{Name: "c.zip", Data: archivetest.Zip(f, F{Name: "d", Data: []byte("e")})})
	for _, seed := range []struct {
		name string
		data []byte
	}{
		{"x.zip", archivetest.Zip(f, F{Name: "a.txt", Data: []byte(secret)})},
		{"x.tar", tarred},
		{"x.tar.gz", archivetest.Compress(f, archives.Gz{}, tarred)},
		{"x.tar.xz", archivetest.Compress(f, archives.Xz{}, tarred)},
		{"x.tar.zst", archivetest.Compress(f, archives.Zstd{}, tarred)},
		{"x.tar.bz2", archivetest.Compress(f, archives.Bz2{}, tarred)},
		{"x.txt.gz", archivetest.Compress(f, archives.Gz{}, []byte(secret))},
		{"x.zip", archivetest.ZipClaiming(f, 1<<40)},
		{"x.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04")},
		{"x.rar", []byte("Rar!\x1a\x07\x01\x00")},
	} {
		f.Add(seed.name, seed.data)
	}
	lim := unpack.Limits{MaxDepth: 3, MaxBytes: 8 << 20, MaxMembers: 1000}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		sum, _ := unpack.Walk(context.Background(), name, data, lim, func(m unpack.Member) error { return nil })
		if sum.Bytes > lim.MaxBytes+1 || sum.Members > lim.MaxMembers {
			t.Fatalf("read %d bytes, %d members: over %+v", sum.Bytes, sum.Members, lim)
		}
	})
}
