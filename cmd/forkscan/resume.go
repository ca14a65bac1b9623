package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// errRootMismatch is returned when a --resume file holds records of roots
// this run does not scan, and --force was not given.
var errRootMismatch = errors.New("the output was written for a different root")

// fileKey names a file across runs: its root and its exact path bytes.
type fileKey struct{ root, path string }

// prior is what an earlier run's output says is done: per file, the
// scanners it recorded ok for the content the file still has. A nil prior
// has done nothing.
type prior struct {
	done map[fileKey][]string
}

// left returns the scanners of want that have no ok record for the file.
func (p *prior) left(root, rel string, want []string) []string {
	if p == nil {
		return want
	}
	done := p.done[fileKey{root, rel}]
	if len(done) == 0 {
		return want
	}
	var out []string
	for _, s := range want {
		if !slices.Contains(done, s) {
			out = append(out, s)
		}
	}
	return out
}

// resumeReport is what loading the earlier output found, for the summary.
type resumeReport struct {
	from                   string // the file resumed
	kept, dropped, garbage int
	files                  int // files with records kept
	findings               int // in the records kept
}

// line is one record of the earlier output, with its bytes as written.
type line struct {
	rec  record
	key  fileKey
	text []byte
}

// loadPrior reads the earlier output at path for a run of roots (absolute)
// and rewrites it in place with only the records that stay true: status ok,
// for a file whose content still has the SHA-256 recorded. Everything else
// is dropped, to be made again by this run: errors, skips, records of
// changed or vanished files, records without a SHA-256 (their scanner read
// no content, so nothing says the file is unchanged). Lines that are not
// records (garbage, a last line cut short by a crash) are reported to warn
// and dropped. Records of a root this run does not scan are an error
// wrapping errRootMismatch, unless force: then, if this run has one root,
// they are taken as its own (a tree that moved); otherwise they are kept
// as they are and not used.
//
// A missing file is an empty one. The rewrite goes through a temporary
// file and a rename, so an interrupt leaves the old output whole.
func loadPrior(ctx context.Context, path string, roots []string, force bool, warn io.Writer) (*prior, resumeReport, error) {
	rep := resumeReport{from: path}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &prior{done: map[fileKey][]string{}}, rep, nil
	}
	if err != nil {
		return nil, rep, err
	}
	lines, garbage, err := readRecords(f, path, warn)
	_ = f.Close()
	if err != nil {
		return nil, rep, err
	}
	rep.garbage = garbage
	foreign, err := adopt(lines, roots, force)
	if err != nil {
		return nil, rep, err
	}
	keep, err := stillTrue(ctx, lines, roots)
	if err != nil {
		return nil, rep, err
	}
	p := &prior{done: map[fileKey][]string{}}
	var out bytes.Buffer
	for i, l := range lines {
		switch {
		case foreign[i]:
			out.Write(l.text)
		case keep[i]:
			out.Write(l.text)
			p.done[l.key] = append(p.done[l.key], l.rec.Scanner)
			rep.kept++
			rep.findings += len(l.rec.Findings)
		default:
			rep.dropped++
		}
	}
	rep.files = len(p.done)
	return p, rep, replaceFile(path, out.Bytes())
}

// readRecords reads every line of r; it returns the records, the last of
// each (root, path, scanner), and how many lines were not records.
func readRecords(r io.Reader, name string, warn io.Writer) ([]line, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var lines []line
	at := map[string]int{} // root, path, scanner → index in lines
	garbage := 0
	for n := 1; ; n++ {
		text, err := br.ReadBytes('\n')
		if len(text) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("reading %s: %w", name, err)
		}
		l, why := parseLine(text)
		if why != "" {
			garbage++
			if garbage <= 5 {
				fmt.Fprintf(warn, "forkscan: --resume: %s:%d: %s; ignored\n", name, n, why)
			}
			continue
		}
		id := l.key.root + "\x00" + l.key.path + "\x00" + l.rec.Scanner
		if i, seen := at[id]; seen {
			lines[i] = l // the later record wins
			continue
		}
		at[id] = len(lines)
		lines = append(lines, l)
	}
	if garbage > 5 {
		fmt.Fprintf(warn, "forkscan: --resume: %s: %d lines in all were not records; ignored\n", name, garbage)
	}
	return lines, garbage, nil
}

// parseLine parses one output line; why says what is wrong with it.
func parseLine(text []byte) (line, string) {
	if !bytes.HasSuffix(text, []byte("\n")) {
		return line{}, "the last line is cut short (no newline)"
	}
	var rec record
	if err := json.Unmarshal(text, &rec); err != nil {
		return line{}, fmt.Sprintf("not a JSON record (%v)", err)
	}
	if rec.Root == "" || rec.Scanner == "" || rec.Status == "" || (rec.Path == "" && rec.PathBase64 == "") {
		return line{}, "not a forkscan record (root, path, scanner or status missing)"
	}
	path := rec.Path
	if rec.PathBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(rec.PathBase64)
		if err != nil {
			return line{}, "path_base64 is not base64"
		}
		path = string(b)
	}
	return line{rec: rec, key: fileKey{rec.Root, path}, text: text}, ""
}

// adopt applies the root rule to lines; it returns the indexes of the
// records of other roots that are to be kept untouched.
func adopt(lines []line, roots []string, force bool) (map[int]bool, error) {
	var others []string
	for _, l := range lines {
		if !slices.Contains(roots, l.key.root) && !slices.Contains(others, l.key.root) {
			others = append(others, l.key.root)
		}
	}
	switch {
	case len(others) == 0:
		return nil, nil
	case !force:
		sort.Strings(others)
		return nil, fmt.Errorf("%w: it has records of %s, and this run scans %s (--force resumes anyway)",
			errRootMismatch, strings.Join(others, ", "), strings.Join(roots, ", "))
	}
	foreign := map[int]bool{}
	for i := range lines {
		l := &lines[i]
		if slices.Contains(roots, l.key.root) {
			continue
		}
		if len(roots) > 1 {
			foreign[i] = true
			continue
		}
		l.rec.Root, l.key.root = roots[0], roots[0]
		text, err := json.Marshal(l.rec)
		if err != nil {
			return nil, err
		}
		l.text = append(text, '\n')
	}
	return foreign, nil
}

// stillTrue reports, per line, whether it is an ok record with a SHA-256
// that the file on disk still has. Files are hashed in parallel, each
// once.
func stillTrue(ctx context.Context, lines []line, roots []string) ([]bool, error) {
	want := map[fileKey]string{} // the SHA-256 the records need; "" if they disagree
	for _, l := range lines {
		if l.rec.Status != "ok" || l.rec.SHA256 == "" || !slices.Contains(roots, l.key.root) {
			continue
		}
		if sum, seen := want[l.key]; seen && sum != l.rec.SHA256 {
			want[l.key] = ""
		} else if !seen {
			want[l.key] = l.rec.SHA256
		}
	}
	keys := make([]fileKey, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sums := make([]string, len(keys))
	dirs := resolve(roots)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for i, k := range keys {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sums[i] = hashFile(dirs[k.root].onDisk(k.path))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	same := map[fileKey]bool{}
	for i, k := range keys {
		same[k] = want[k] != "" && sums[i] == want[k]
	}
	keep := make([]bool, len(lines))
	for i, l := range lines {
		keep[i] = l.rec.Status == "ok" && same[l.key] && l.rec.SHA256 == want[l.key]
	}
	return keep, nil
}

// rootDir is a root as it is on disk now.
type rootDir struct {
	resolved string // symlinks resolved
	file     bool   // the root is a file, not a directory
}

// resolve looks each root up once.
func resolve(roots []string) map[string]rootDir {
	out := make(map[string]rootDir, len(roots))
	for _, root := range roots {
		d := rootDir{resolved: root}
		if r, err := filepath.EvalSymlinks(root); err == nil {
			d.resolved = r
		}
		if info, err := os.Stat(d.resolved); err == nil && !info.IsDir() {
			d.file = true
		}
		out[root] = d
	}
	return out
}

// onDisk is where the file at path (relative to the root) is now: the
// root itself for a root that is a file.
func (d rootDir) onDisk(path string) string {
	if d.file {
		return d.resolved
	}
	return filepath.Join(d.resolved, path)
}

// hashFile returns the hex SHA-256 of the file at path; "" if it cannot
// be read.
func hashFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// replaceFile writes data to path through a temporary file in the same
// directory and a rename.
func replaceFile(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".resume-*")
	if err != nil {
		return err
	}
	err = tmp.Chmod(info.Mode().Perm())
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
