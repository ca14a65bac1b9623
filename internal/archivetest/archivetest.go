// Package archivetest builds archives and compressed files for tests, in
// memory: zip and tar of given members (symlinks too), compressed with any
// of mholt/archives' compressors, and bytes that do not compress. It is
// for tests only, as net/http/httptest is.
package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"io/fs"
	"slices"
	"testing"

	"github.com/mholt/archives"
)

// File is a member of an archive.
type File struct {
	Name string
	Data []byte
	Link bool // a symlink to the path Data holds
}

// Zip is a zip archive of files, deflated.
func Zip(t testing.TB, files ...File) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		if f.Link {
			h.SetMode(fs.ModeSymlink | 0o777)
		}
		fw, err := w.CreateHeader(h)
		if err == nil {
			_, err = fw.Write(f.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// EncryptedZip is a zip of a plain member, open.txt holding text, and one,
// secret.txt, whose header says it is encrypted (its bytes are garbage to
// a reader without the password, and fail its checksum).
func EncryptedZip(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	open, err := w.Create("open.txt")
	if err == nil {
		_, err = open.Write([]byte(text))
	}
	if err != nil {
		t.Fatal(err)
	}
	h := &zip.FileHeader{Name: "secret.txt", Method: zip.Store, Flags: 1, CRC32: 0xdeadbeef, CompressedSize64: 12, UncompressedSize64: 12}
	raw, err := w.CreateRaw(h)
	if err == nil {
		_, err = raw.Write([]byte("\x13\x37garbled!!!"))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Tar is a tar archive of files (PAX, so any name fits).
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if f.Link {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, string(f.Data), 0
		}
		err := w.WriteHeader(h)
		if err == nil && !f.Link {
			_, err = w.Write(f.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Compress compresses data with c (archives.Gz{}, Bz2{}, Xz{}, Zstd{} ...).
func Compress(t testing.TB, c archives.Compressor, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := c.OpenWriter(&b)
	if err == nil {
		_, err = io.Copy(w, bytes.NewReader(data))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Noise is n bytes that do not compress, the same on every call.
func Noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// ZipClaiming is a zip of one small member whose end records (zip64's,
// as a zip of more than 65,534 members has) say it holds n: an archive
// of millions of members as its reader first sees it, in a few hundred
// bytes.
func ZipClaiming(t testing.TB, n uint64) []byte {
	t.Helper()
	z := Zip(t, File{Name: "one.txt", Data: []byte("one\n")})
	const eocdLen = 22
	end := z[len(z)-eocdLen:]
	le := binary.LittleEndian
	cdSize, cdOffset := uint64(le.Uint32(end[12:])), uint64(le.Uint32(end[16:]))
	out := bytes.Clone(z[:len(z)-eocdLen])
	at := uint64(len(out))
	rec := make([]byte, 56)
	le.PutUint32(rec[0:], 0x06064b50)
	le.PutUint64(rec[4:], 44)
	le.PutUint16(rec[12:], 45)
	le.PutUint16(rec[14:], 45)
	le.PutUint64(rec[24:], n)
	le.PutUint64(rec[32:], n)
	le.PutUint64(rec[40:], cdSize)
	le.PutUint64(rec[48:], cdOffset)
	loc := make([]byte, 20)
	le.PutUint32(loc[0:], 0x07064b50)
	le.PutUint64(loc[8:], at)
	le.PutUint32(loc[16:], 1)
	eocd := bytes.Clone(end)
	le.PutUint16(eocd[8:], 0xffff)
	le.PutUint16(eocd[10:], 0xffff)
	le.PutUint32(eocd[12:], 0xffffffff)
	le.PutUint32(eocd[16:], 0xffffffff)
	return slices.Concat(out, rec, loc, eocd)
}
