package unpack_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mholt/archives"

	"github.com/forkscan/forkscan/internal/archivetest"
	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/unpack"
)

// walked is what a Walk handed its function, and its summary and error.
type walked struct {
	members map[string]string
	sum     unpack.Summary
	err     error
}

func walk(t testing.TB, name string, data []byte, lim unpack.Limits) walked {
	t.Helper()
	w := walked{members: map[string]string{}}
	w.sum, w.err = unpack.Walk(context.Background(), name, data, lim, func(m unpack.Member) error {
		if _, twice := w.members[m.Path]; twice {
			t.Errorf("member %q handed twice", m.Path)
		}
		w.members[m.Path] = string(m.Data)
		return nil
	})
	return w
}

const secret = "aws_key = AKIAIOSFODNN7EXAMPLE\n"

func TestFormats(t *testing.T) {
	inner := []archivetest.File{{Name: "dir/a.txt", Data: []byte(secret)}, {Name: "b.txt", Data: []byte("plain\n")}}
	tarred := archivetest.Tar(t, inner...)
	both := map[string]string{"dir/a.txt": secret, "b.txt": "plain\n"}
	text := map[string]string{"": secret}
	for _, tc := range []struct {
		name string
		data []byte
		want map[string]string
	}{
		{"x.zip", archivetest.Zip(t, inner...), both},
		{"x.jar", archivetest.Zip(t, inner...), nil}, // not by its name: gitleaks' library knows no .jar
		{"x.tar", tarred, both},
		{"x.tar.gz", archivetest.Compress(t, archives.Gz{}, tarred), both},
		{"x.tgz", archivetest.Compress(t, archives.Gz{}, tarred), nil}, // nor .tgz
		{"x.tar.bz2", archivetest.Compress(t, archives.Bz2{}, tarred), both},
		{"x.tar.xz", archivetest.Compress(t, archives.Xz{}, tarred), both},
		{"x.tar.zst", archivetest.Compress(t, archives.Zstd{}, tarred), both},
		{"x.tar.lz4", archivetest.Compress(t, archives.Lz4{}, tarred), both},
		{"a.txt.gz", archivetest.Compress(t, archives.Gz{}, []byte(secret)), text},
		{"a.txt.bz2", archivetest.Compress(t, archives.Bz2{}, []byte(secret)), text},
		{"a.txt.xz", archivetest.Compress(t, archives.Xz{}, []byte(secret)), text},
		{"a.txt.zst", archivetest.Compress(t, archives.Zstd{}, []byte(secret)), text},
		{"a.txt.br", archivetest.Compress(t, archives.Brotli{}, []byte(secret)), text},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				if unpack.Is(tc.name) {
					t.Fatalf("Is(%q)", tc.name)
				}
				return
			}
			w := walk(t, tc.name, tc.data, unpack.Limits{MaxDepth: 8})
			if w.err != nil {
				t.Fatal(w.err)
			}
			if !equal(w.members, tc.want) {
				t.Errorf("members %q, want %q", w.members, tc.want)
			}
			if w.sum.Members != len(tc.want) {
				t.Errorf("Summary.Members %d, want %d", w.sum.Members, len(tc.want))
			}
		})
	}
}

// TestSevenZip reads gitleaks' own 7z test file (no Go library writes
// 7z), from the module cache.
func TestSevenZip(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	if err != nil {
		realtool.Missing(t, "gitleaks' module is not in the module cache ("+err.Error()+")", "go mod download github.com/zricethezav/gitleaks/v8")
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "testdata", "archives", "files.7z"))
	if err != nil {
		realtool.Missing(t, "gitleaks' 7z test file cannot be read ("+err.Error()+")", "go mod download github.com/zricethezav/gitleaks/v8")
	}
	w := walk(t, "files.7z", data, unpack.Limits{MaxDepth: 1})
	if w.err != nil || !strings.Contains(w.members["files/api.go"], "AKIA") {
		t.Fatalf("%v: members %q", w.err, slices.Sorted(mapsKeys(w.members)))
	}
}

func TestNesting(t *testing.T) {
	innermost := archivetest.Zip(t, archivetest.File{Name: "deep/key.txt", Data: []byte(secret)})
	middle := archivetest.Compress(t, archives.Gz{}, archivetest.Tar(t, archivetest.File{Name: "in/inner.zip", Data: innermost}, archivetest.File{Name: "in/note.gz", Data: archivetest.Compress(t, archives.Gz{}, []byte(secret))}))
	outer := archivetest.Zip(t, archivetest.File{Name: "mid.tar.gz", Data: middle})
	w := walk(t, "outer.zip", outer, unpack.Limits{MaxDepth: 8})
	want := map[string]string{"mid.tar.gz!in/inner.zip!deep/key.txt": secret, "mid.tar.gz!in/note.gz": secret}
	if w.err != nil || !equal(w.members, want) {
		t.Fatalf("%v: members %q, want %q", w.err, w.members, want)
	}
	// Two levels: the zip and the gzip file in the tar would be a third,
	// and are said to be too deep (gitleaks skips them as well).
	w = walk(t, "outer.zip", outer, unpack.Limits{MaxDepth: 2})
	if w.err != nil || len(w.members) != 0 || len(w.sum.Notes) != 2 || w.sum.Notes[0].Member != "mid.tar.gz!in/inner.zip" {
		t.Fatalf("depth 2: %v: members %q, notes %q", w.err, w.members, w.sum.Notes)
	}
	if w = walk(t, "outer.zip", outer, unpack.Limits{}); w.err != nil || len(w.members) != 0 {
		t.Fatalf("depth 0 read %q (%v)", w.members, w.err)
	}
}

// TestQuine nests a zip in itself 40 times: the depth ends it, with a note.
func TestQuine(t *testing.T) {
	z := archivetest.Zip(t, archivetest.File{Name: "key.txt", Data: []byte(secret)})
	for range 40 {
		z = archivetest.Zip(t, archivetest.File{Name: "again.zip", Data: z})
	}
	w := walk(t, "quine.zip", z, unpack.Limits{MaxDepth: 8})
	if w.err != nil || len(w.members) != 0 || len(w.sum.Notes) != 1 || strings.Count(w.sum.Notes[0].Member, "!") != 7 {
		t.Fatalf("%v: members %q, notes %q", w.err, w.members, w.sum.Notes)
	}
}

func TestHostileNames(t *testing.T) {
	tarred := archivetest.Tar(t,
		archivetest.File{Name: "../../etc/passwd", Data: []byte(secret)},
		archivetest.File{Name: "/abs/key", Data: []byte(secret)},
		archivetest.File{Name: "caf\xe9/\xff.txt", Data: []byte(secret)},
		archivetest.File{Name: "link", Data: []byte("/etc/shadow"), Link: true},
	)
	cwd, _ := os.Getwd()
	before, _ := os.ReadDir(cwd)
	w := walk(t, "x.tar", tarred, unpack.Limits{MaxDepth: 1})
	want := map[string]string{"../../etc/passwd": secret, "/abs/key": secret, "caf\xe9/\xff.txt": secret}
	if w.err != nil || !equal(w.members, want) {
		t.Fatalf("%v: members %q, want %q", w.err, w.members, want)
	}
	if len(w.sum.Notes) != 1 || w.sum.Notes[0].Member != "link" || !strings.Contains(w.sum.Notes[0].Reason, "symlink") {
		t.Errorf("notes %q, want the symlink's", w.sum.Notes)
	}
	if after, _ := os.ReadDir(cwd); len(after) != len(before) {
		t.Errorf("the walk wrote to %s", cwd)
	}
}

func TestBroken(t *testing.T) {
	tarred := archivetest.Tar(t, archivetest.File{Name: "a.txt", Data: []byte(secret)}, archivetest.File{Name: "b.bin", Data: archivetest.Noise(1 << 18)})
	gz := archivetest.Compress(t, archives.Gz{}, tarred)
	encrypted := archivetest.EncryptedZip(t, secret)
	for _, tc := range []struct {
		name    string
		data    []byte
		read    []string
		err     error
		noteHas string
	}{
		{"truncated.tar.gz", gz[:len(gz)/2], []string{"a.txt"}, unpack.ErrFormat, ""},
		{"not.zip", []byte("just text, named as a zip"), nil, unpack.ErrFormat, ""},
		{"empty.gz", nil, nil, unpack.ErrFormat, ""},
		{"encrypted.zip", encrypted, []string{"open.txt"}, nil, "secret.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(t, tc.name, tc.data, unpack.Limits{MaxDepth: 1})
			if !errors.Is(w.err, tc.err) || (tc.err == nil && w.err != nil) {
				t.Fatalf("error %v, want %v", w.err, tc.err)
			}
			if got := slices.Sorted(mapsKeys(w.members)); !slices.Equal(got, tc.read) {
				t.Errorf("read %q, want %q", got, tc.read)
			}
			if tc.noteHas != "" && (len(w.sum.Notes) != 1 || w.sum.Notes[0].Member != tc.noteHas) {
				t.Errorf("notes %q, want one for %s", w.sum.Notes, tc.noteHas)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := unpack.Walk(ctx, "x.tar", archivetest.Tar(t, archivetest.File{Name: "a", Data: []byte("a")}), unpack.Limits{MaxDepth: 1}, func(unpack.Member) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestFnError(t *testing.T) {
	stop := errors.New("enough")
	_, err := unpack.Walk(context.Background(), "x.zip", archivetest.Zip(t, archivetest.File{Name: "a", Data: []byte("a")}), unpack.Limits{MaxDepth: 1}, func(unpack.Member) error { return stop })
	if err != stop {
		t.Fatalf("error %v, want fn's own", err)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
