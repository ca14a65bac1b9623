package ipc

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
	"github.com/forkscan/forkscan/record"
)

// ErrorToWire puts a categorized error on the wire with its category,
// message and retryability (the cause stays behind; its text is in the
// message). The message is made valid UTF-8, as a protobuf string must be,
// so that an odd file name never fails a whole message. Nil gives nil.
func ErrorToWire(e *record.Error) *pb.Error {
	if e == nil {
		return nil
	}
	return &pb.Error{Category: pb.ErrorCategory(e.Category), Message: ValidUTF8(e.Message), Retryable: e.Retryable}
}

// ErrorFromWire rebuilds a categorized error from the wire. One whose
// category this side does not know (a newer peer's) becomes a TOOL_ERROR
// naming it, rather than an error with no category at all. Nil gives nil.
func ErrorFromWire(e *pb.Error) *record.Error {
	if e == nil {
		return nil
	}
	c := record.Category(e.GetCategory())
	if !c.Valid() {
		return &record.Error{Category: record.ToolError, Message: fmt.Sprintf("%s (unknown category %d)", e.GetMessage(), c), Retryable: e.GetRetryable()}
	}
	return &record.Error{Category: c, Message: e.GetMessage(), Retryable: e.GetRetryable()}
}

// FindingsToWire puts findings on the wire, their text made valid UTF-8.
// None gives nil.
func FindingsToWire(in []record.Finding) []*pb.Finding {
	if len(in) == 0 {
		return nil
	}
	out := make([]*pb.Finding, len(in))
	for i, f := range in {
		out[i] = &pb.Finding{
			Rule: ValidUTF8(f.Rule), Message: ValidUTF8(f.Message), Line: int32(f.Line), Column: int32(f.Column),
			EndLine: int32(f.EndLine), EndColumn: int32(f.EndColumn),
			Severity: ValidUTF8(string(f.Severity)), Match: ValidUTF8(f.Match),
		}
		if f.File != "" {
			out[i].File = []byte(f.File)
		}
		if f.Member != "" {
			out[i].Member = []byte(f.Member)
		}
	}
	return out
}

// FindingsFromWire rebuilds findings from the wire. None gives nil.
func FindingsFromWire(in []*pb.Finding) []record.Finding {
	if len(in) == 0 {
		return nil
	}
	out := make([]record.Finding, len(in))
	for i, f := range in {
		out[i] = record.Finding{Rule: f.GetRule(), Message: f.GetMessage(), Line: int(f.GetLine()),
			Column: int(f.GetColumn()), EndLine: int(f.GetEndLine()), EndColumn: int(f.GetEndColumn()),
			Severity: record.Severity(f.GetSeverity()), Match: f.GetMatch(), Member: string(f.GetMember()), File: string(f.GetFile())}
	}
	return out
}

// CommitToWire puts a history record's commit on the wire; nil gives nil.
func CommitToWire(c *record.Commit) *pb.Commit {
	if c == nil {
		return nil
	}
	out := &pb.Commit{Id: c.ID, Author: ValidUTF8(c.Author), Email: ValidUTF8(c.Email), Message: ValidUTF8(c.Message)}
	if !c.Date.IsZero() {
		out.Date = c.Date.Unix()
	}
	return out
}

// CommitFromWire rebuilds a history record's commit; nil gives nil.
func CommitFromWire(c *pb.Commit) *record.Commit {
	if c == nil {
		return nil
	}
	out := &record.Commit{ID: c.GetId(), Author: c.GetAuthor(), Email: c.GetEmail(), Message: c.GetMessage()}
	if c.GetDate() != 0 {
		out.Date = time.Unix(c.GetDate(), 0).UTC()
	}
	return out
}

// MembersToWire puts what reading an archive came to on the wire; nil
// gives nil.
func MembersToWire(m *record.Members) *pb.Members {
	if m == nil {
		return nil
	}
	out := &pb.Members{Read: uint32(m.Read), Bytes: uint64(m.Bytes), Dropped: uint32(m.Dropped)}
	for _, n := range m.Notes {
		out.Notes = append(out.Notes, &pb.MemberNote{Member: []byte(n.Member), Reason: ValidUTF8(n.Reason)})
	}
	return out
}

// MembersFromWire rebuilds what reading an archive came to; nil gives nil.
func MembersFromWire(m *pb.Members) *record.Members {
	if m == nil {
		return nil
	}
	out := &record.Members{Read: int(m.GetRead()), Bytes: int64(m.GetBytes()), Dropped: int(m.GetDropped())}
	for _, n := range m.GetNotes() {
		out.Notes = append(out.Notes, record.MemberNote{Member: string(n.GetMember()), Reason: n.GetReason()})
	}
	return out
}

// ValidUTF8 returns s, with each invalid byte sequence replaced by U+FFFD:
// what a protobuf string field may carry.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
