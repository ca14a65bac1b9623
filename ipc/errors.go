package ipc

import (
	"fmt"
	"strings"
	"unicode/utf8"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/worker/scan"
)

// ErrorToWire puts a categorized error on the wire with its category,
// message and retryability (the cause stays behind; its text is in the
// message). The message is made valid UTF-8, as a protobuf string must be,
// so that an odd file name never fails a whole message. Nil gives nil.
func ErrorToWire(e *scan.Error) *pb.Error {
	if e == nil {
		return nil
	}
	msg := e.Message
	if !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "\uFFFD")
	}
	return &pb.Error{Category: pb.ErrorCategory(e.Category), Message: msg, Retryable: e.Retryable}
}

// ErrorFromWire rebuilds a categorized error from the wire. One whose
// category this side does not know (a newer peer's) becomes a TOOL_ERROR
// naming it, rather than an error with no category at all. Nil gives nil.
func ErrorFromWire(e *pb.Error) *scan.Error {
	if e == nil {
		return nil
	}
	c := scan.Category(e.GetCategory())
	if !c.Valid() {
		return &scan.Error{Category: scan.ToolError, Message: fmt.Sprintf("%s (unknown category %d)", e.GetMessage(), c), Retryable: e.GetRetryable()}
	}
	return &scan.Error{Category: c, Message: e.GetMessage(), Retryable: e.GetRetryable()}
}
