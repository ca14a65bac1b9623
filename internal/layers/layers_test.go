package layers_test

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// allowed is the layering: for each package of the module (by its path
// within the module), the packages of the module it may import. A key or
// an allowed path ending in "/" stands for every package below it (not the
// package itself); "*" allows anything. Imports from outside the module are
// not checked.
var allowed = map[string][]string{
	// The bottom: the vocabulary and the wire schema.
	"record":            nil,
	"proto/forkscan/v1": nil,

	// Plumbing: codecs and helpers, on the vocabulary and the schema.
	"internal/": {"record", "proto/forkscan/v1", "internal/"},

	// The wire between parent and workers: it moves messages, knows no scanner.
	"ipc": {"proto/forkscan/v1", "record", "internal/"},

	// The scanner contract, and the scanners on it.
	"worker/scan":  {"record", "beneath"},
	"worker/scan/": {"worker/scan", "record", "beneath", "leaks"},

	// The worker process: runs registered scanners, names none; and the
	// public door to it, worker.Main.
	"internal/workerproc": {"ipc", "proto/forkscan/v1", "record", "internal/", "worker/scan", "beneath", "unpack", "history"},
	"worker":              {"internal/workerproc"},

	// Stand-alone libraries.
	"semregistry": nil,
	"shutdown":    nil,
	"beneath":     nil, // opening a scanned tree's files: beneath its root, never waiting, bounded
	"leaks":       nil, // finding secrets in text with gitleaks' rules
	"unpack":      nil, // what archives and compressed files hold, bounded
	"history":     nil, // what a git repository's history adds, read with git

	// The parent.
	"engine": {"ipc", "worker/scan", "record", "proto/forkscan/v1", "semregistry", "shutdown", "internal/"},

	// Libraries for the programs around the engine.
	"tree":   {"record", "beneath"},
	"resume": {"record", "beneath"},
	"output": {"record", "resume", "semregistry"},
	// Joining shards' outputs: reads them back (resume), writes one (output).
	"merge": {"record", "resume", "output"},

	// One scan of trees into an output, on those libraries and the engine.
	"scanrun": {"engine", "tree", "output", "resume", "record", "history"},

	// The service: scans submitted over HTTP, on scanrun; it names the
	// scanners and tools a request may ask for.
	"service": {"scanrun", "engine", "tree", "output", "resume", "record", "semregistry", "shutdown", "worker/scan", "worker/scan/", "history"},

	// Programs.
	"cmd/":      {"*"},
	"examples/": {"*"},
}

// scanners is where the scanner packages live: the engine and ipc must
// not depend on any of them, even through another package.
const scanners = "worker/scan/"

// matches reports whether package pkg is what pattern names (see allowed).
func matches(pattern, pkg string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, "/"):
		return strings.HasPrefix(pkg, pattern)
	}
	return pkg == pattern
}

// rule returns the allowed imports of pkg: its own entry, or the entry of
// the longest prefix above it.
func rule(pkg string) (key string, imports []string, ok bool) {
	if imports, ok := allowed[pkg]; ok {
		return pkg, imports, true
	}
	for k, v := range allowed {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(pkg, k) && len(k) > len(key) {
			key, imports, ok = k, v, true
		}
	}
	return key, imports, ok
}

// imported is one import of the module's own packages by a non-test file.
type imported struct {
	file     string // relative to the module root
	importer string // package paths within the module
	imported string
}

// moduleImports parses every non-test .go file of the module (imports
// only) and returns the module path, the module's packages, and each
// import of one of them.
func moduleImports(t *testing.T) (module string, pkgs map[string]bool, imps []imported) {
	t.Helper()
	root, module := moduleRoot(t)
	pkgs = map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path == root {
				return nil
			}
			if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		pkgs[pkg] = true
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if p == module {
				imps = append(imps, imported{rel, pkg, "."})
			} else if within, ok := strings.CutPrefix(p, module+"/"); ok {
				imps = append(imps, imported{rel, pkg, within})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatalf("no Go files found under %s", root)
	}
	return module, pkgs, imps
}

// moduleRoot goes up from the working directory to the directory holding
// go.mod, and returns it with the module's path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(rest), `"`)
				}
			}
			t.Fatalf("%s/go.mod names no module (%v)", dir, sc.Err())
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = up
	}
}

// TestImportsPointDown checks every import of the module's own packages
// against the table, and that the table covers every package.
func TestImportsPointDown(t *testing.T) {
	module, pkgs, imps := moduleImports(t)
	for _, pkg := range slices.Sorted(maps.Keys(pkgs)) {
		if _, _, ok := rule(pkg); !ok {
			t.Errorf("package %s/%s is not in the layers table: add it to allowed in internal/layers/layers_test.go with what it may import", module, pkg)
		}
	}
	for key := range allowed {
		if !strings.HasSuffix(key, "/") && !pkgs[key] {
			t.Errorf("the layers table names %s, which has no Go files: take it out", key)
		}
	}
	for _, imp := range imps {
		key, ok, known := permitted(imp.importer, imp.imported)
		if known && !ok {
			t.Errorf("%s: %s imports %s, which the layers table does not allow (%q may import %s)",
				imp.file, imp.importer, imp.imported, key, describe(allowed[key]))
		}
	}
}

// permitted reports whether importer may import imported, and the table
// entry that says so; known is false for a package the table lacks.
func permitted(importer, imported string) (key string, ok, known bool) {
	key, imports, known := rule(importer)
	if !known {
		return "", false, false
	}
	for _, a := range imports {
		if matches(a, imported) {
			return key, true, true
		}
	}
	return key, false, true
}

func describe(imports []string) string {
	if len(imports) == 0 {
		return "nothing of the module"
	}
	return strings.Join(imports, ", ")
}

// TestNoScannerBelowTheEngine follows imports transitively: neither the
// engine nor ipc may depend on a scanner package, even through another
// package, and ipc may not reach the scanner contract at all.
func TestNoScannerBelowTheEngine(t *testing.T) {
	_, _, imps := moduleImports(t)
	graph := map[string][]string{}
	for _, imp := range imps {
		if !slices.Contains(graph[imp.importer], imp.imported) {
			graph[imp.importer] = append(graph[imp.importer], imp.imported)
		}
	}
	forbidden := map[string]func(string) bool{
		"engine": func(p string) bool { return strings.HasPrefix(p, scanners) },
		"ipc":    func(p string) bool { return p == "worker/scan" || strings.HasPrefix(p, scanners) },
	}
	for _, from := range slices.Sorted(maps.Keys(forbidden)) {
		for _, chain := range reach(graph, from, forbidden[from]) {
			t.Errorf("%s depends on %s: %s", from, chain[len(chain)-1], strings.Join(chain, " → "))
		}
	}
}

// reach walks graph breadth first from pkg and returns, for each package
// it reaches that bad reports, the shortest chain of imports leading there.
func reach(graph map[string][]string, pkg string, bad func(string) bool) [][]string {
	via := map[string]string{pkg: ""}
	queue := []string{pkg}
	var found [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range slices.Sorted(slices.Values(graph[p])) {
			if _, seen := via[q]; seen {
				continue
			}
			via[q] = p
			queue = append(queue, q)
			if bad(q) {
				chain := []string{q}
				for at := p; at != ""; at = via[at] {
					chain = append(chain, at)
				}
				slices.Reverse(chain)
				found = append(found, chain)
			}
		}
	}
	return found
}

// TestReach checks the walk the dependency check relies on, on a graph
// made up for it.
func TestReach(t *testing.T) {
	graph := map[string][]string{
		"engine": {"worker", "record"},
		"worker": {"worker/scan", "helper"},
		"helper": {"worker/scan/secrets"},
	}
	got := reach(graph, "engine", func(p string) bool { return strings.HasPrefix(p, scanners) })
	want := [][]string{{"engine", "worker", "helper", "worker/scan/secrets"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("reach = %q, want %q", got, want)
	}
	if got := reach(graph, "record", func(string) bool { return true }); len(got) != 0 {
		t.Fatalf("reach from a leaf = %q, want nothing", got)
	}
}
