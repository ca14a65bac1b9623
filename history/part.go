package history

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// entry is a file a commit writes, from its raw diff: its path (and the
// path it was renamed or copied from) and its new size.
type entry struct {
	path, from string
	blob       string
	size       int64
}

// readPart reads one part of a commit too large for one job: the commit's
// files, less those over the split's MaxFile (noted), dealt into Parts
// by size the same way every time, and the patch of those of this part
// alone.
func (r *Reader) readPart(ctx context.Context, job Job) (Patch, error) {
	files, err := r.entries(ctx, job.Commit)
	if err != nil {
		return Patch{}, err
	}
	var notes []Note
	files = slices.DeleteFunc(files, func(e entry) bool {
		if r.split.MaxFile > 0 && e.size > r.split.MaxFile {
			notes = append(notes, Note{Path: e.path, Reason: fmt.Sprintf("file too large (%d bytes, limit %d)", e.size, r.split.MaxFile)})
			return true
		}
		return false
	})
	mine := deal(files, job.Parts)[job.Part-1]
	p := Patch{Notes: notes}
	if len(mine) == 0 {
		return p, nil
	}
	args := append(append([]string{"diff-tree"}, r.diffArgs(ctx)...), format, job.Commit, "--")
	for _, e := range mine {
		args = append(args, ":(literal)"+e.path)
		if e.from != "" {
			args = append(args, ":(literal)"+e.from)
		}
	}
	out, err := boundedRun(ctx, r.dir, nil, r.most, args...)
	if err != nil {
		return Patch{}, err
	}
	got := parsePatch(out)
	got.Notes = notes
	return got, nil
}

// deal deals files into n parts, each file to the lightest part so far,
// largest files first (by path among equals): the same parts every time.
func deal(files []entry, n int) [][]entry {
	slices.SortFunc(files, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.size, a.size), strings.Compare(a.path, b.path))
	})
	parts := make([][]entry, n)
	load := make([]int64, n)
	for _, f := range files {
		i := 0
		for j := range load {
			if load[j] < load[i] || (load[j] == load[i] && len(parts[j]) < len(parts[i])) {
				i = j
			}
		}
		parts[i] = append(parts[i], f)
		load[i] += f.size + 1
	}
	return parts
}

// entries lists the files commit writes, with their sizes. Renames are
// paired as the patch will pair them; if that fails (rename detection
// reads every blob, and one may be missing), they are listed unpaired,
// so that only the part holding the missing blob fails.
func (r *Reader) entries(ctx context.Context, commit string) ([]entry, error) {
	args := []string{"diff-tree", "-r", "--root", "--raw", "-z", "--no-abbrev", "--no-commit-id", "--diff-filter=tuxdb", renames(r.diffArgs(ctx)), commit, "--"}
	raw, err := boundedRun(ctx, r.dir, nil, 256<<20, args...)
	if err != nil && ctx.Err() == nil {
		args[len(args)-3] = "--no-renames"
		raw, err = boundedRun(ctx, r.dir, nil, 256<<20, args...)
	}
	if err != nil {
		return nil, err
	}
	var files []entry
	fields := bytes.Split(bytes.TrimSuffix(raw, []byte{0}), []byte{0})
	for i := 0; i < len(fields); i++ {
		head := strings.Fields(string(fields[i]))
		if len(head) < 5 || i+1 >= len(fields) {
			continue
		}
		e := entry{blob: head[3], path: string(fields[i+1])}
		i++
		if s := head[4]; (s[0] == 'R' || s[0] == 'C') && i+1 < len(fields) {
			e.from, e.path = e.path, string(fields[i+1])
			i++
		}
		if head[1] != "160000" {
			files = append(files, e)
		}
	}
	return files, r.sizes(ctx, files)
}

// sizes fills in the sizes of files' blobs.
func (r *Reader) sizes(ctx context.Context, files []entry) error {
	var in strings.Builder
	for _, f := range files {
		in.WriteString(f.blob + "\n")
	}
	cmd := Command(ctx, r.dir, nil, "cat-file", "--batch-check=%(objectsize)")
	cmd.Stdin = strings.NewReader(in.String())
	var out bounded
	out.most = 32 * (len(files) + 1)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: cat-file: %v", ErrGit, err)
	}
	for i, line := range strings.SplitN(out.String(), "\n", len(files)) {
		files[i].size, _ = strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	}
	return nil
}

// renames is the rename option among a patch's options.
func renames(args []string) string {
	for _, a := range args {
		if a == "-M" || a == "-C" || a == "--no-renames" {
			return a
		}
	}
	return "-M"
}
