package resume

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/record"
)

// ErrRootMismatch is returned when an output holds records of roots the
// run does not scan, and Options.Force is not set.
var ErrRootMismatch = errors.New("the output was written for a different root")

// ErrNotOutput is returned for an output that is not one: not a regular
// file (a FIFO, a device), or a file that has lines but not one of them a
// forkscan record (a SARIF log, a file of something else). Nothing is
// changed.
var ErrNotOutput = errors.New("not a forkscan JSON lines output")

// ErrShardMismatch is returned when an output is another shard's than the
// run's (Options.Header), or a shard's and the run is not one, or the
// other way round.
var ErrShardMismatch = errors.New("the output is of another shard")

// fileKey names a file across runs: its root and its exact path bytes.
type fileKey struct{ root, path string }

// Prior is what an earlier run's output says is done: per file, the
// scanners it recorded ok for the content the file still has. A nil
// *Prior has done nothing.
type Prior struct {
	done map[fileKey][]string
}

// Left returns the scanners of want that have no ok record for the file
// at path under root.
func (p *Prior) Left(root, path string, want []string) []string {
	if p == nil {
		return want
	}
	done := p.done[fileKey{root, path}]
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

// Report is what Load found in the earlier output.
type Report struct {
	From     string // the output resumed
	Kept     int    // records kept: still true
	Dropped  int    // records dropped, to be made again
	Garbage  int    // lines that were not records
	Files    int    // files with records kept
	Findings int    // in the records kept
}

// Options says how Load treats an output. The zero value refuses records
// of other roots and warns nowhere.
type Options struct {
	// Force takes records of other roots: with one root, as its own (a
	// tree that moved); with several, kept as they are and not used.
	Force bool
	// Warn, if set, is told of each of the first lines that are not
	// records, and of how many there were in all.
	Warn func(message string)
	// Header, if set, says the run is a shard of a scan: the output must
	// be that shard's (or new), and is left beginning with Header. Its
	// old end line is dropped: the run writes its own.
	Header *record.ShardHeader
	// Within, if set, are the directories the records' roots must lie in
	// (engine.Config.Within): each root is opened beneath them to hash
	// its files again.
	Within []string
	// History says the output is of a repository's history: an ok record
	// of a commit (its path the commit's object name, or a part of one)
	// stays true whatever the work tree holds, since a commit's content is
	// its name; a record of staged or uncommitted changes never does.
	History bool
	// Reached, for a history, returns those of the commits recorded
	// under root (a repository) that the run's revisions still reach: the
	// record of one they do not reach is dropped, as a vanished file's
	// is, so that the output holds what one run over the revisions would
	// (history.Repo.Reached). Nil keeps every commit's.
	Reached func(ctx context.Context, root string, commits map[string]bool) (map[string]bool, error)
	// MaxSize, if positive, is the most of a file hashed to see whether
	// it changed (engine.Config.MaxFileSize): a larger one has changed,
	// since a record of it would not say ok.
	MaxSize int64
	// Settings, if set, is the fingerprint of the settings the run gives
	// each of its scanners (engine.Config.ScannerSettings): a record of a
	// scanner named here stays true only if it carries the same
	// (record.Record.Settings), so that a changed tool command or secrets
	// config makes the records again. Records of scanners not named are
	// not compared. Nil compares none.
	Settings map[string]string
}

// sameSettings reports whether rec was made with the settings o says the
// run gives its scanner.
func (o Options) sameSettings(rec record.Record) bool {
	want, named := o.Settings[rec.Scanner]
	return !named || rec.Settings == want
}

// line is one record of the earlier output, with its bytes as written.
type line struct {
	rec  record.Record
	key  fileKey
	text []byte
}

// Load reads the earlier output at path (JSON lines) for a run of roots
// (tree.Roots) and rewrites it in place with only the records that stay true: status ok,
// for a file whose content still has the SHA-256 recorded, made with the
// settings the run gives their scanner (o.Settings). Everything else
// is dropped, to be made again by this run: errors, skips, records of
// changed or vanished files, records without a SHA-256 (their scanner read
// no content, so nothing says the file is unchanged), records made with
// other settings. Lines that are not
// records (garbage, a last line cut short by a crash) are reported to warn
// and dropped. Records of a root this run does not scan are an error
// wrapping ErrRootMismatch, unless o.Force.
//
// A missing file is an empty one. The rewrite goes through a temporary
// file and a rename, so an interrupt leaves the old output whole. The run
// then appends its records to the output (Append).
func Load(ctx context.Context, path string, roots []string, o Options) (*Prior, Report, error) {
	rep := Report{From: path}
	f, err := beneath.OpenFile(path)
	if errors.Is(err, beneath.ErrNotRegular) {
		return nil, rep, fmt.Errorf("%w: %w", ErrNotOutput, err)
	}
	if errors.Is(err, os.ErrNotExist) {
		if o.Header != nil {
			return &Prior{done: map[fileKey][]string{}}, rep, os.WriteFile(path, headerLine(o.Header), 0o644)
		}
		return &Prior{done: map[fileKey][]string{}}, rep, nil
	}
	if err != nil {
		return nil, rep, err
	}
	lines, garbage, header, err := readRecords(f, path, o.Warn)
	_ = f.Close()
	if err != nil {
		return nil, rep, err
	}
	if len(lines) == 0 && header == nil && garbage > 0 {
		return nil, rep, fmt.Errorf("%w: none of its %d lines is a record", ErrNotOutput, garbage)
	}
	if err := sameShard(header, o.Header, len(lines) > 0); err != nil {
		return nil, rep, err
	}
	rep.Garbage = garbage
	foreign, err := adopt(lines, roots, o.Force)
	if err != nil {
		return nil, rep, err
	}
	keep, err := stillTrue(ctx, lines, roots, o)
	if err != nil {
		return nil, rep, err
	}
	p := &Prior{done: map[fileKey][]string{}}
	var out bytes.Buffer
	if o.Header != nil {
		out.Write(headerLine(o.Header))
	}
	for i, l := range lines {
		switch {
		case foreign[i]:
			out.Write(l.text)
		case keep[i]:
			out.Write(l.text)
			p.done[l.key] = append(p.done[l.key], l.rec.Scanner)
			rep.Kept++
			rep.Findings += len(l.rec.Findings)
		default:
			rep.Dropped++
		}
	}
	rep.Files = len(p.done)
	return p, rep, replaceFile(path, out.Bytes())
}

// readRecords reads every line of r; it returns the records, the last of
// each (root, path, scanner), how many lines were neither records nor a
// shard's header or end, and the first header.
func readRecords(r io.Reader, name string, warn func(string)) ([]line, int, *record.ShardHeader, error) {
	var lines []line
	var header *record.ShardHeader
	at := map[string]int{} // root, path, scanner → index in lines
	garbage := 0
	for l, err := range Lines(r) {
		switch {
		case err != nil:
			return nil, 0, nil, fmt.Errorf("reading %s: %w", name, err)
		case l.Bad != "":
			garbage++
			if garbage <= 5 && warn != nil {
				warn(fmt.Sprintf("%s:%d: %s; ignored", name, l.N, l.Bad))
			}
			continue
		case l.Meta.Header != nil && header == nil:
			header = l.Meta.Header
		case l.Meta.Header != nil && !sameIdentity(*header, *l.Meta.Header):
			return nil, 0, nil, fmt.Errorf("%w: %s has headers of shard %s and of shard %s (outputs joined?)", ErrShardMismatch, name, header, l.Meta.Header)
		}
		if !l.IsRecord() {
			continue
		}
		rec := line{rec: l.Record, key: fileKey{l.Record.Root, l.Record.Path}, text: l.Text}
		id := rec.key.root + "\x00" + rec.key.path + "\x00" + rec.rec.Scanner
		if i, seen := at[id]; seen {
			lines[i] = rec // the later record wins
			continue
		}
		at[id] = len(lines)
		lines = append(lines, rec)
	}
	if garbage > 5 && warn != nil {
		warn(fmt.Sprintf("%s: %d lines in all were not records; ignored", name, garbage))
	}
	return lines, garbage, header, nil
}

// sameShard checks that an output (the header it had, if any, and whether
// it has records) may be resumed by a run that is shard want (nil: not a
// shard).
func sameShard(had, want *record.ShardHeader, records bool) error {
	switch {
	case want == nil && had != nil:
		return fmt.Errorf("%w: it is the output of shard %s (split by %s); resume it with --shard %s", ErrShardMismatch, had, had.Split, had)
	case want != nil && had == nil && records:
		return fmt.Errorf("%w: it is the output of a scan that was not sharded, and this run is shard %s", ErrShardMismatch, want)
	case want != nil && had != nil && !sameIdentity(*had, *want):
		return fmt.Errorf("%w: it is the output of shard %s split by %s, and this run is shard %s split by %s", ErrShardMismatch, had, had.Split, want, want.Split)
	}
	return nil
}

// sameIdentity reports whether two headers name the same shard of the
// same split.
func sameIdentity(a, b record.ShardHeader) bool {
	return a.Shard == b.Shard && a.Shards == b.Shards && a.Split == b.Split
}

// headerLine is h as its line.
func headerLine(h *record.ShardHeader) []byte {
	b, _ := json.Marshal(h) // strings and numbers: it cannot fail
	return append(b, '\n')
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
			ErrRootMismatch, strings.Join(others, ", "), strings.Join(roots, ", "))
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
// that the file on disk still has, made with the run's settings. Files are hashed in parallel, each
// once, each opened beneath its root (package beneath: never through a
// symlink out of it, never waiting on a FIFO), and the hashing stops when
// ctx ends.
func stillTrue(ctx context.Context, lines []line, roots []string, o Options) ([]bool, error) {
	if o.History {
		return stillInHistory(ctx, lines, roots, o)
	}
	want := map[fileKey]string{} // the SHA-256 the records need; "" if they disagree
	for _, l := range lines {
		sum := string(l.rec.SHA256)
		if l.rec.Status != record.StatusOK || sum == "" || !slices.Contains(roots, l.key.root) {
			continue
		}
		if had, seen := want[l.key]; seen && had != sum {
			want[l.key] = ""
		} else if !seen {
			want[l.key] = sum
		}
	}
	keys := slices.Collect(maps.Keys(want))
	sums := make([]string, len(keys))
	dirs := openRoots(keys, o.Within)
	defer dirs.close()
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for i, k := range keys {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sums[i] = hashFile(ctx, dirs[k.root], k.path, o.MaxSize)
			return ctx.Err()
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
		keep[i] = l.rec.Status == record.StatusOK && same[l.key] && string(l.rec.SHA256) == want[l.key] && o.sameSettings(l.rec)
	}
	return keep, nil
}

// stillInHistory is stillTrue for the records of a history: an ok
// record of a commit, made with the run's settings, of a commit the run's
// revisions reach (o.Reached: asked only of the roots the run scans).
func stillInHistory(ctx context.Context, lines []line, roots []string, o Options) ([]bool, error) {
	keep := make([]bool, len(lines))
	recorded := map[string]map[string]bool{} // the commits of each root
	for i, l := range lines {
		keep[i] = l.rec.Status == record.StatusOK && isCommitJob(l.rec.Path) && o.sameSettings(l.rec)
		if keep[i] && slices.Contains(roots, l.key.root) {
			if recorded[l.key.root] == nil {
				recorded[l.key.root] = map[string]bool{}
			}
			recorded[l.key.root][commitOf(l.rec.Path)] = true
		}
	}
	if o.Reached == nil {
		return keep, nil
	}
	reached := map[string]map[string]bool{}
	for root, commits := range recorded {
		r, err := o.Reached(ctx, root, commits)
		if err != nil {
			return nil, err
		}
		reached[root] = r
	}
	for i, l := range lines {
		if recorded[l.key.root] != nil {
			keep[i] = keep[i] && reached[l.key.root][commitOf(l.rec.Path)]
		}
	}
	return keep, nil
}

// rootDirs are the roots of the files to hash, open; nil for one that
// cannot be opened (its files have all changed).
type rootDirs map[string]*beneath.Dir

func openRoots(keys []fileKey, within []string) rootDirs {
	dirs := rootDirs{}
	for _, k := range keys {
		if _, done := dirs[k.root]; done {
			continue
		}
		var d *beneath.Dir
		var err error
		if len(within) > 0 {
			d, err = beneath.OpenDirIn(within, k.root)
		} else {
			d, err = beneath.OpenDir(k.root)
		}
		if err != nil {
			d = nil
		}
		dirs[k.root] = d
	}
	return dirs
}

func (dirs rootDirs) close() {
	for _, d := range dirs {
		if d != nil {
			_ = d.Close()
		}
	}
}

// hashFile returns the SHA-256 of the file at path beneath dir; "" if it
// cannot be read, is not a regular file, is larger than maxSize (if
// positive), or ctx ends first.
func hashFile(ctx context.Context, dir *beneath.Dir, path string, maxSize int64) string {
	if dir == nil {
		return ""
	}
	f, err := dir.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if maxSize > 0 && f.Size() > maxSize {
		return ""
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for n := int64(0); ; {
		k, err := f.Read(buf)
		h.Write(buf[:k])
		if n += int64(k); maxSize > 0 && n > maxSize || ctx.Err() != nil {
			return ""
		}
		if err == io.EOF {
			return string(h.Sum(nil))
		}
		if err != nil {
			return ""
		}
	}
}

// Append opens the output at path for a resumed run to add its records
// to, creating it if Load found none.
func Append(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
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

// isCommitJob reports whether path names a commit, or a part of one
// ("<object name>:2/5"): hex digits, 40 (SHA-1) or 64 (SHA-256) of them.
func isCommitJob(path string) bool {
	id := commitOf(path)
	if len(id) != 40 && len(id) != 64 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef") == ""
}

// commitOf is the commit a job's path names: the object name before a
// part's ":2/5".
func commitOf(path string) string {
	id, _, _ := strings.Cut(path, ":")
	return id
}
