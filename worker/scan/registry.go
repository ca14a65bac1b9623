package scan

import (
	"fmt"
	"slices"
	"sync"
)

// Def describes a scanner to register.
type Def struct {
	// Name is how runs, flags and records name the scanner. Required.
	Name string
	// Doc is a one-line description shown by `forkscan scanners`.
	Doc string
	// Content reports whether the scanner needs the file's content. When no
	// scanner of a job needs it, the parse step does not open the file at
	// all. The zero value (false) suits scanners that work from the path.
	Content bool
	// Binary reports whether the scanner wants binary files. When false
	// (the default), a binary file is recorded as skipped for this scanner
	// without calling it.
	Binary bool
	// History reports whether the scanner reads the changes of a
	// repository's history (scan.File.Change: the lines one hunk of a
	// commit adds, never a file on disk). When false (the default), a run
	// of a history records every commit as skipped for this scanner. It
	// needs Content.
	History bool
	// New builds the scanner. It is called once per worker process, before
	// the worker reports ready, so expensive set-up (compiling rules) is paid
	// once per process, not per file. An error fails the worker's start.
	New func() (Scanner, error)
	// NewWith, if set, is called instead of New, with the settings the run
	// gives this scanner (engine.Config.ScannerOptions[Name], nil when it
	// gives none), encoded as the scanner documents. It is how a parent's
	// flags (a rules file, a command line) reach the scanners in every
	// worker process. One of New and NewWith is required.
	NewWith func(options []byte) (Scanner, error)
	// Batch, if more than 1, says the scanner is a BatchScanner that looks
	// at up to this many files in one call: a worker groups the jobs it
	// holds for it into ScanBatch calls, a share of them per task. A batch
	// scanner reads no content in the worker (Content must be false): it
	// hands the files' names on, to a tool that takes many at once.
	Batch int
}

// Build makes the scanner def describes, with options.
func (def Def) Build(options []byte) (Scanner, error) {
	if def.NewWith != nil {
		return def.NewWith(options)
	}
	return def.New()
}

var registry struct {
	sync.RWMutex
	defs map[string]Def
}

// Register makes a scanner available by name. It is meant to be called from
// an init function, so that a parent and its workers, being the same binary,
// register the same set. Register panics if def has no name, or neither New
// nor NewWith, or if the name is taken: these are programming errors, found
// at start-up.
func Register(def Def) {
	if def.Name == "" || (def.New == nil && def.NewWith == nil) {
		panic("scan: Register of a Def without Name, or without New or NewWith")
	}
	if def.Batch > 1 && def.Content {
		panic(fmt.Sprintf("scan: Register of batch scanner %q with Content: a batch scanner reads no content", def.Name))
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.defs == nil {
		registry.defs = make(map[string]Def)
	}
	if _, dup := registry.defs[def.Name]; dup {
		panic(fmt.Sprintf("scan: Register called twice for scanner %q", def.Name))
	}
	registry.defs[def.Name] = def
}

// Lookup returns the registered scanner with the given name.
func Lookup(name string) (Def, bool) {
	registry.RLock()
	defer registry.RUnlock()
	def, ok := registry.defs[name]
	return def, ok
}

// Names returns the names of all registered scanners, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.defs))
	for n := range registry.defs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
