package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Error is a categorized failure. It crosses the process boundary with its
// category, message and retryability intact; the cause (Err) stays in the
// process that made it, its text folded into Message.
//
// errors.Is(err, record.Timeout) matches an *Error of that category, and
// errors.As(err, &e) with e of type *Error finds it.
type Error struct {
	Category  Category
	Message   string
	Retryable bool
	// Err is the underlying cause, when known in this process.
	Err error
}

// Errorf returns an *Error of the given category with a formatted message.
// A %w verb keeps the wrapped error as the cause. Retryable follows the category.
func Errorf(c Category, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Category: c, Message: err.Error(), Retryable: c.Retryable(), Err: errors.Unwrap(err)}
}

func (e *Error) Error() string { return e.Category.String() + ": " + e.Message }

// Unwrap returns the category and the cause, so that errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Category}
	}
	return []error{e.Category, e.Err}
}

// AsError returns err as an *Error: err itself or the *Error it wraps, or a
// new one whose category is guessed from well-known causes (missing file,
// permission, deadline, resource exhaustion) and is ToolError otherwise.
// It returns nil for a nil err.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	c := classify(err)
	return &Error{Category: c, Message: err.Error(), Retryable: c.Retryable(), Err: err}
}

func classify(err error) Category {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.Is(err, fs.ErrPermission):
		return PermissionDenied
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.EISDIR):
		return InvalidInput
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOMEM):
		return ResourceLimit
	}
	return ToolError
}

// errorJSON is an *Error as a record writes it: the cause is folded into
// the message, and the category's remediation is added for people.
type errorJSON struct {
	Category    Category `json:"category"`
	Message     string   `json:"message"`
	Retryable   bool     `json:"retryable"`
	Remediation string   `json:"remediation,omitempty"`
}

// MarshalJSON writes the error's category, message, retryability and the
// category's remediation hint.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{e.Category, e.Message, e.Retryable, e.Category.Remediation()})
}

// UnmarshalJSON reads an error as MarshalJSON wrote it.
func (e *Error) UnmarshalJSON(data []byte) error {
	var j errorJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*e = Error{Category: j.Category, Message: j.Message, Retryable: j.Retryable}
	return nil
}
