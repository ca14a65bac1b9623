package record

import (
	"fmt"
	"strconv"
)

// Category is the kind of a failure, after the eight categories of the
// reference design. Its numbers are the wire values of the protocol's
// ErrorCategory enum.
//
// A Category is itself an error, so it serves as the sentinel to match:
//
//	if errors.Is(err, record.Timeout) { ... }
type Category int32

// The categories. The zero value is not a category.
const (
	ToolNotFound     Category = 1 // a tool or binary the scanner needs is missing
	PermissionDenied Category = 2 // the file or a resource may not be accessed
	Timeout          Category = 3 // the work took longer than allowed
	NetworkError     Category = 4 // a network call failed
	ResourceLimit    Category = 5 // memory, file descriptors or another limit ran out
	InvalidInput     Category = 6 // the input cannot be processed as given
	ToolError        Category = 7 // the scanner or tool failed; the default for uncategorized errors
	ProcessCrash     Category = 8 // the process running the work died
)

// Severity says how bad a finding or a failure is. A category's is one of
// medium, high and critical; a finding's is what its scanner says (tools
// have their own words, such as "warning"), lower case, or empty when the
// scanner gives none.
type Severity string

// The usual severities, least first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

type categoryInfo struct {
	name        string
	retryable   bool
	severity    Severity
	remediation string
}

var categories = [...]categoryInfo{
	ToolNotFound:     {"TOOL_NOT_FOUND", false, SeverityHigh, "install the required tool or check PATH"},
	PermissionDenied: {"PERMISSION_DENIED", false, SeverityHigh, "check file permissions or privileges"},
	Timeout:          {"TIMEOUT", true, SeverityMedium, "increase the timeout or reduce the scan scope"},
	NetworkError:     {"NETWORK_ERROR", true, SeverityMedium, "check network connectivity"},
	ResourceLimit:    {"RESOURCE_LIMIT", true, SeverityHigh, "raise memory or CPU limits, or lower concurrency"},
	InvalidInput:     {"INVALID_INPUT", false, SeverityHigh, "check the input"},
	ToolError:        {"TOOL_ERROR", true, SeverityMedium, "check the scanner's logs"},
	ProcessCrash:     {"PROCESS_CRASH", true, SeverityCritical, "check the tool's version and report the crash"},
}

// Categories lists every category, in wire order.
func Categories() []Category {
	return []Category{ToolNotFound, PermissionDenied, Timeout, NetworkError, ResourceLimit, InvalidInput, ToolError, ProcessCrash}
}

func (c Category) info() categoryInfo {
	if c <= 0 || int(c) >= len(categories) {
		return categoryInfo{name: "CATEGORY(" + strconv.Itoa(int(c)) + ")", retryable: false, severity: SeverityMedium}
	}
	return categories[c]
}

// Valid reports whether c is one of the eight categories.
func (c Category) Valid() bool { return c > 0 && int(c) < len(categories) }

// String returns the category's name, such as "TOOL_NOT_FOUND".
func (c Category) String() string { return c.info().name }

// Error makes a Category usable as a sentinel error.
func (c Category) Error() string { return c.info().name }

// Retryable reports whether a failure of this category is worth retrying.
func (c Category) Retryable() bool { return c.info().retryable }

// Severity returns the category's severity.
func (c Category) Severity() Severity { return c.info().severity }

// Remediation returns a hint for the user on how to fix a failure of this category.
func (c Category) Remediation() string { return c.info().remediation }

// ParseCategory returns the category with the given name, such as "TIMEOUT".
func ParseCategory(name string) (Category, bool) {
	for _, c := range Categories() {
		if c.String() == name {
			return c, true
		}
	}
	return 0, false
}

// MarshalText writes the category's name.
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a category's name; an unknown name is an error.
func (c *Category) UnmarshalText(text []byte) error {
	parsed, ok := ParseCategory(string(text))
	if !ok {
		return fmt.Errorf("record: unknown category %q", text)
	}
	*c = parsed
	return nil
}
