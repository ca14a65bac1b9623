package record

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Join returns the name to open for the file at path under root: path
// joined to root, or path alone when root is empty (a file named on its
// own). Unlike filepath.Join it does not clean path, so that a name keeps
// the bytes it was given.
func Join(root, path string) string {
	switch {
	case root == "":
		return path
	case strings.HasSuffix(root, string(filepath.Separator)):
		return root + path
	}
	return root + string(filepath.Separator) + path
}

// Finding is one thing a scanner found in a file. Lines and columns count
// from 1; 0 means unknown.
type Finding struct {
	Rule      string   `json:"rule"`
	Message   string   `json:"message,omitempty"`
	Line      int      `json:"line,omitempty"`
	Column    int      `json:"column,omitempty"`
	EndLine   int      `json:"end_line,omitempty"`
	EndColumn int      `json:"end_column,omitempty"`
	Severity  Severity `json:"severity,omitempty"`
	// Match is the text that matched, as the scanner chose to show it
	// (a secrets scanner redacts it unless told not to).
	Match string `json:"match,omitempty"`
	// Member is where in an archive the finding is: the member's path,
	// the paths of nested members joined by "!", as gitleaks writes them
	// ("inner/files.zip!files/api.go"); empty for the file itself.
	Member string `json:"member,omitempty"`
	// File is, for a finding in a repository's history, the path of the
	// file the commit changed, in the commit's tree (the record names the
	// commit); empty for a finding in a file of a tree.
	File string `json:"file,omitempty"`
}

// Where names the finding's place as gitleaks does: the file's name (the
// changed file's, in a commit), and "!" and the member's path for a
// finding inside an archive.
func (f Finding) Where(name string) string {
	if f.File != "" {
		name = f.File
	}
	if f.Member == "" {
		return name
	}
	return name + "!" + f.Member
}

// Members is what reading the members of an archive or a compressed file
// came to, for its record.
type Members struct {
	// Read counts the files read out of it, every level, and Bytes their
	// size.
	Read  int   `json:"read"`
	Bytes int64 `json:"bytes"`
	// Notes are the members not read, and why (the first hundred);
	// Dropped counts the rest.
	Notes   []MemberNote `json:"notes,omitempty"`
	Dropped int          `json:"dropped,omitempty"`
}

// MemberNote says why a member of an archive was not read.
type MemberNote struct {
	Member string `json:"member"`
	Reason string `json:"reason"`
}

// Status is how one (file, scanner) pair ended. Its numbers are the wire
// values of the protocol's Status enum; the zero value is no status.
type Status uint8

// The statuses.
const (
	StatusOK      Status = iota + 1 // the scanner ran; see Findings and Data
	StatusError                     // the scanner or the parse step failed; see Error
	StatusSkipped                   // the file was not scanned; see Reason
)

var statusNames = [...]string{StatusOK: "ok", StatusError: "error", StatusSkipped: "skipped"}

// String returns "ok", "error" or "skipped" ("unknown" for anything else).
func (s Status) String() string {
	if s == 0 || int(s) >= len(statusNames) {
		return "unknown"
	}
	return statusNames[s]
}

// MarshalText writes the status's name.
func (s Status) MarshalText() ([]byte, error) {
	if s == 0 || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("record: no status %d", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a status's name.
func (s *Status) UnmarshalText(text []byte) error {
	for i, name := range statusNames {
		if i > 0 && name == string(text) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("record: unknown status %q", text)
}

// Record is the outcome of one scanner on one file: the terminal result
// the engine delivers, the line an output writes, the line resume reads
// back.
type Record struct {
	// Root is the tree the file was found under, absolute; empty for a
	// file named on its own. Path is the file's path relative to Root (as
	// given, when Root is empty): Join(Root, Path) opens it.
	Root, Path string
	Scanner    string
	Status     Status
	Findings   []Finding
	Data       json.RawMessage // the scanner's facts, as JSON; nil if none
	Error      *Error          // set when Status is StatusError
	Reason     string          // set when Status is StatusSkipped
	Attempts   int             // how many times the file was sent to a worker
	WorkerPID  int             // the process that made the record; 0 if none did
	SHA256     []byte          // of the content the scanner saw; nil if it read none
	// Settings is a fingerprint of the settings of the scanner that made
	// the record, those that decide what its records say (a tool's command
	// line, the secrets config); empty when it was given none. A resumed
	// run keeps a record only while its scanner's fingerprint is the same.
	Settings string
	Members  *Members // set for an archive whose members were read, or a commit's files
	Commit   *Commit  // set for a job of a repository's history whose patch showed its commit
}

// Name is the name to open the record's file by: Join(Root, Path).
func (r *Record) Name() string { return Join(r.Root, r.Path) }

// line is a Record as one JSON line writes it.
type line struct {
	Root       string          `json:"root"`
	Path       string          `json:"path"`
	PathBase64 string          `json:"path_base64,omitempty"` // the exact bytes, when Path is not valid UTF-8
	Scanner    string          `json:"scanner"`
	Status     Status          `json:"status"`
	Findings   []Finding       `json:"findings"`
	Data       json.RawMessage `json:"data,omitempty"`
	Error      *Error          `json:"error,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Attempts   int             `json:"attempts"`
	WorkerPID  int             `json:"worker_pid"`
	SHA256     string          `json:"sha256,omitempty"`
	Settings   string          `json:"settings,omitempty"`
	Members    *Members        `json:"members,omitempty"`
	Commit     *Commit         `json:"commit,omitempty"`
}

// MarshalJSON writes the record as the JSON lines output does. A path
// that is not valid UTF-8 is written with U+FFFD in "path" and its exact
// bytes in "path_base64"; findings are [] rather than null.
func (r Record) MarshalJSON() ([]byte, error) {
	l := line{Root: r.Root, Path: r.Path, Scanner: r.Scanner, Status: r.Status, Findings: r.Findings,
		Data: r.Data, Error: r.Error, Reason: r.Reason, Attempts: r.Attempts, WorkerPID: r.WorkerPID, Settings: r.Settings, Members: r.Members, Commit: r.Commit}
	if r.SHA256 != nil {
		l.SHA256 = hex.EncodeToString(r.SHA256)
	}
	if !utf8.ValidString(l.Path) {
		l.PathBase64 = base64.StdEncoding.EncodeToString([]byte(l.Path))
		l.Path = strings.ToValidUTF8(l.Path, "\uFFFD")
	}
	if l.Findings == nil {
		l.Findings = []Finding{}
	}
	return json.Marshal(l)
}

// UnmarshalJSON reads a record as MarshalJSON wrote it. JSON without a
// path, scanner or status is not a record: an error wrapping ErrNotRecord.
func (r *Record) UnmarshalJSON(data []byte) error {
	var l line
	if err := json.Unmarshal(data, &l); err != nil {
		return err
	}
	if l.Scanner == "" || l.Status == 0 || (l.Path == "" && l.PathBase64 == "") {
		return ErrNotRecord
	}
	path := l.Path
	if l.PathBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(l.PathBase64)
		if err != nil {
			return fmt.Errorf("%w: path_base64 is not base64", ErrNotRecord)
		}
		path = string(b)
	}
	var sum []byte
	if l.SHA256 != "" {
		var err error
		if sum, err = hex.DecodeString(l.SHA256); err != nil {
			return fmt.Errorf("%w: sha256 is not hex", ErrNotRecord)
		}
	}
	*r = Record{Root: l.Root, Path: path, Scanner: l.Scanner, Status: l.Status, Findings: l.Findings,
		Data: l.Data, Error: l.Error, Reason: l.Reason, Attempts: l.Attempts, WorkerPID: l.WorkerPID, SHA256: sum, Settings: l.Settings, Members: l.Members, Commit: l.Commit}
	return nil
}

// ErrNotRecord is what UnmarshalJSON returns for JSON that is not a
// forkscan record (path, scanner or status missing or malformed).
var ErrNotRecord = errors.New("not a forkscan record (path, scanner or status missing)")
