package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/semregistry"
	"github.com/forkscan/forkscan/tree"
	"github.com/forkscan/forkscan/worker/scan"
)

// The scanners of the examples below. Like every scanner they are
// registered in an init function, so that the parent and its workers,
// being the same binary, know the same names.
func init() {
	scan.Register(scan.Def{Name: "todo", Doc: "a finding for each line that says TODO", Content: true,
		New: func() (scan.Scanner, error) { return scan.ScannerFunc(todo), nil }})
	scan.Register(scan.Def{Name: "rate-limited", Doc: "holds a permit of the run-wide semaphore \"api\" per file",
		New: func() (scan.Scanner, error) { return scan.ScannerFunc(rateLimited), nil }})
}

// todo reports a finding for each line of the file that says TODO.
func todo(_ context.Context, f *scan.File) (scan.Report, error) {
	var rep scan.Report
	for i, line := range bytes.Split(f.Data, []byte("\n")) {
		if bytes.Contains(line, []byte("TODO")) {
			rep.Findings = append(rep.Findings, scan.Finding{Rule: "todo", Line: i + 1, Message: string(bytes.TrimSpace(line))})
		}
	}
	return rep, nil
}

// rateLimited stands for a scanner that asks a service about each file,
// a service that allows only so many calls at once from the whole run.
// A sync.Mutex or a channel would limit each worker process on its own;
// scan.Semaphore limits all of them together, in the parent. The scanner
// asks for a capacity of 4, but a capacity the program configures wins.
func rateLimited(ctx context.Context, _ *scan.File) (scan.Report, error) {
	api := scan.Semaphore(ctx, "api", 4)
	if err := api.Acquire(ctx, 1); err != nil {
		return scan.Report{}, err
	}
	defer api.Release(1)
	select {
	case <-time.After(2 * time.Millisecond): // the call to the service
		return scan.Report{}, nil
	case <-ctx.Done():
		return scan.Report{}, ctx.Err()
	}
}

// Walk a tree, scan its files in two worker processes, and write the
// records as JSON lines: what `forkscan scan -w 2 DIR` does, with a
// scanner of the example's own, in a page of code. The walk (package
// tree) leaves out what .gitignore ignores; what it cannot scan (here a
// symlink out of the tree) becomes records at once, one per scanner, and
// every file a job; the engine runs the jobs; the output writes both.
// Records name their worker's pid and their absolute root, so the example
// prints a digest of them rather than the lines themselves.
func Example_tree() {
	dir, err := os.MkdirTemp("", "forkscan-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	err = writeTree(dir, map[string]string{
		"main.go":    "package main\n\n// TODO: say hello\nfunc main() {}\n",
		"notes.txt":  "TODO: write the docs\nTODO: write the tests\n",
		"done.txt":   "nothing left to do\n",
		"logo.png":   "\x89PNG\x00 TODO in a binary file is not read\n",
		".gitignore": "build/\n",
		"build/a.go": "// TODO: never scanned, .gitignore leaves it out\n",
	})
	if err == nil {
		err = os.Symlink("/", filepath.Join(dir, "outside"))
	}
	if err != nil {
		fmt.Println(err)
		return
	}

	var buf bytes.Buffer
	if err := scanTree(&buf, dir); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(digest(&buf))
	// Output:
	// .gitignore todo ok, findings: 0
	// done.txt todo ok, findings: 0
	// logo.png todo skipped: binary file
	// main.go todo ok, findings: 1
	// notes.txt todo ok, findings: 2
	// outside todo skipped: symlink points outside the scanned root
}

// writeTree writes files, by path relative to dir, making directories.
func writeTree(dir string, files map[string]string) error {
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// scanTree scans the tree at dir with the todo scanner and writes the
// records to buf as JSON lines.
func scanTree(buf *bytes.Buffer, dir string) error {
	roots := []string{dir}
	out, err := output.New(buf, output.JSONL, output.Options{Roots: tree.Roots(roots)})
	if err != nil {
		return err
	}
	cfg := engine.DefaultConfig()
	cfg.Scanners, cfg.Workers = []string{"todo"}, 2
	walker := &tree.Walker{Roots: roots}
	jobs := func(yield func(engine.Job) bool) {
		for e := range tree.LargestFirst(walker.Walk) {
			if e.Err != nil || e.Skip != "" { // nothing to scan: its record now
				out.Write(entryRecord(e, "todo"), output.Track(1, 0, false))
				continue
			}
			if !yield(engine.Job{Root: e.Root, Path: e.Path, Meta: output.Track(1, e.Size, true)}) {
				return
			}
		}
	}
	run, err := engine.Start(context.Background(), cfg, jobs)
	if err != nil {
		_ = out.Close()
		return err
	}
	for res := range run.Results() {
		out.Write(res.Record, res.Meta.(*output.File))
	}
	_, err = run.Wait()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// entryRecord is the record of scanner for an entry the walk could not
// read (Err) or will not have scanned (Skip).
func entryRecord(e tree.Entry, scanner string) record.Record {
	rec := record.Record{Root: e.Root, Path: e.Path, Scanner: scanner, Status: record.StatusSkipped, Reason: e.Skip}
	if e.Err != nil {
		rec.Status, rec.Error = record.StatusError, e.Err
	}
	return rec
}

// digest reads JSON lines of records and returns a line per record, in
// path order: its path, scanner and status, and its findings, or why it
// was skipped or failed.
func digest(jsonl *bytes.Buffer) string {
	var lines []string
	sc := bufio.NewScanner(jsonl)
	for sc.Scan() {
		var rec record.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return err.Error()
		}
		lines = append(lines, fmt.Sprintf("%s %s %s\n", rec.Path, rec.Scanner, ending(rec)))
	}
	if err := sc.Err(); err != nil {
		return err.Error()
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// ending is a record's status, with its findings, reason or error.
func ending(rec record.Record) string {
	switch rec.Status {
	case record.StatusOK:
		return fmt.Sprintf("ok, findings: %d", len(rec.Findings))
	case record.StatusSkipped:
		return "skipped: " + rec.Reason
	}
	return "error: " + rec.Error.Error()
}

// Share a limit across every worker process: two workers of two tasks each
// run up to four jobs at once, but the program allows the service behind
// the rate-limited scanner two calls at a time, and the parent's
// semaphore registry holds the whole run to that. Stats.Semaphores says
// how it went.
func Example_semaphore() {
	cfg := engine.DefaultConfig()
	cfg.Scanners, cfg.Workers, cfg.Tasks = []string{"rate-limited"}, 2, 2
	cfg.Semaphores = semregistry.Config{Capacities: map[string]int64{"api": 2}}
	jobs := func(yield func(engine.Job) bool) {
		for i := range 20 { // the scanner works from the path alone: no file is opened
			if !yield(engine.Job{Path: fmt.Sprintf("file-%02d.txt", i)}) {
				return
			}
		}
	}
	run, err := engine.Start(context.Background(), cfg, jobs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range run.Results() {
	}
	st, err := run.Wait()
	fmt.Printf("%d jobs, %d ok, error %v\n", st.Jobs, st.OK, err)
	for _, sem := range st.Semaphores {
		fmt.Printf("semaphore %s: capacity %d, %d acquires, never more than %d in use: %v\n",
			sem.Name, sem.Capacity, sem.Acquires, sem.Capacity, sem.PeakInUse <= sem.Capacity)
	}
	// Output:
	// 20 jobs, 20 ok, error <nil>
	// semaphore api: capacity 2, 20 acquires, never more than 2 in use: true
}
