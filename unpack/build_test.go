package unpack_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/mholt/archives"
)

// file is a member the tests put in an archive.
type file struct {
	name string
	data []byte
	link bool // a symlink to data
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if f.link {
			h.SetMode(0o777 | 1<<27) // fs.ModeSymlink
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tarOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if f.link {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, string(f.data), 0
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !f.link {
			if _, err := w.Write(f.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compress compresses data with c (a gzip, bzip2, xz, zstd ... format).
func compress(t testing.TB, c archives.Compressor, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := c.OpenWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipWriter(w io.Writer) *zip.Writer { return zip.NewWriter(w) }

func zipHeader(name string) *zip.FileHeader {
	return &zip.FileHeader{Name: name, Method: zip.Store}
}
