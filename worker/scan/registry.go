package scan

import (
	"crypto/sha256"
	"encoding/hex"
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
	// Hash says the scanner, without Content, hands the file to something
	// that reads it itself (a tool given its name): the worker hashes the
	// file just before the scanner runs, as the parse step hashes what it
	// reads, and the record carries that SHA-256, so that a resumed run
	// keeps it while the file is unchanged. (The file is hashed before the
	// tool reads it: if it changes in between, the record names the old
	// content, and a resume makes it again.) When false (the default), a
	// scanner without Content makes records that carry no SHA-256, and
	// resume makes them again every time.
	Hash bool
	// Settings, if set, picks out of the scanner's options (as NewWith
	// takes them) those that decide what its records say, leaving out
	// those that only decide how it runs (a time limit, a cap on runs at
	// once). Records carry a fingerprint of them (SettingsFingerprint):
	// a resumed run keeps a record only while it is the same. If nil,
	// all of the options count.
	Settings func(options []byte) []byte
}

// SettingsFingerprint is the fingerprint of the settings a scanner of def
// is given as options, as its records carry it (record.Record.Settings):
// 24 hex digits of the SHA-256 of what def.Settings picks of options, or
// of options themselves; "" for none.
func (def Def) SettingsFingerprint(options []byte) string {
	if def.Settings != nil && len(options) > 0 {
		options = def.Settings(options)
	}
	if len(options) == 0 {
		return ""
	}
	sum := sha256.Sum256(options)
	return hex.EncodeToString(sum[:12])
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
