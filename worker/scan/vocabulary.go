package scan

import "github.com/forkscan/forkscan/record"

// A scanner speaks the vocabulary of package record, the one every layer
// of forkscan speaks; these names let a scanner's author import scan
// alone.
type (
	// Finding is one thing a scanner found in a file (record.Finding).
	Finding = record.Finding
	// Severity is how bad a finding or a failure is (record.Severity).
	Severity = record.Severity
	// Category is the kind of a failure (record.Category); it is itself an
	// error, the sentinel to match with errors.Is.
	Category = record.Category
	// Error is a categorized failure (record.Error).
	Error = record.Error
)

// The eight categories of failure (see record.Category).
const (
	ToolNotFound     = record.ToolNotFound
	PermissionDenied = record.PermissionDenied
	Timeout          = record.Timeout
	NetworkError     = record.NetworkError
	ResourceLimit    = record.ResourceLimit
	InvalidInput     = record.InvalidInput
	ToolError        = record.ToolError
	ProcessCrash     = record.ProcessCrash
)

// The severities (see record.Severity).
const (
	SeverityMedium   = record.SeverityMedium
	SeverityHigh     = record.SeverityHigh
	SeverityCritical = record.SeverityCritical
)

// Errorf returns an *Error of category c with a formatted message; a %w
// verb keeps the wrapped error as the cause (see record.Errorf).
func Errorf(c Category, format string, args ...any) *Error {
	return record.Errorf(c, format, args...)
}

// AsError returns err as an *Error, guessing the category of an error
// that has none (see record.AsError).
func AsError(err error) *Error { return record.AsError(err) }
