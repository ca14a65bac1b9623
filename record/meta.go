package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Meta is a line of an output that is not a record: a shard's header or
// end. At most one of its fields is set; the zero Meta is neither.
type Meta struct {
	Header *ShardHeader
	End    *ShardEnd
}

// ErrBadMeta is wrapped by the errors of ParseMeta and ShardHeader.Check:
// a line that begins as a shard's header or end line but is not one as
// forkscan writes it.
var ErrBadMeta = errors.New("a bad shard header or end line")

// How a header and an end line begin, as MarshalJSON writes them:
// ParseMeta looks no further into a line that begins otherwise (a record).
var (
	headerPrefix = []byte(`{"type":"` + typeShard + `"`)
	endPrefix    = []byte(`{"type":"` + typeEnd + `"`)
)

// The JSON names of a header's and an end line's fields.
var (
	headerFields = jsonNames(reflect.TypeFor[ShardHeader]())
	endFields    = jsonNames(reflect.TypeFor[ShardEnd]())
)

// ParseMeta reads a shard's header or end line. A line that does not
// begin as MarshalJSON begins them is neither: the zero Meta, no error (a
// record, garbage). One that does is held to what a forkscan writes, and
// refused with an error wrapping ErrBadMeta that says why: longer than
// MaxMetaLine, a field named twice (the JSON decoder would keep the last,
// so two readers could read two counts), not JSON of the field's type (a
// float, a number out of int64, a string), a count out of 1 to MaxShards,
// an index out of 1 to the count, an unknown state, negative sizes.
//
// Nothing a header or end line says sizes anything: its line is bounded,
// and its numbers are checked before anyone loops over them.
func ParseMeta(line []byte) (Meta, error) {
	var m Meta
	isHeader := bytes.HasPrefix(line, headerPrefix)
	if !isHeader && !bytes.HasPrefix(line, endPrefix) {
		return m, nil
	}
	what, fields := "end line", endFields
	if isHeader {
		what, fields = "header", headerFields
	}
	if len(line) > MaxMetaLine {
		return m, fmt.Errorf("%w: the %s is longer than %d KiB", ErrBadMeta, what, MaxMetaLine>>10)
	}
	if name := repeated(line, fields); name != "" {
		return m, fmt.Errorf("%w: the %s names %q twice", ErrBadMeta, what, name)
	}
	var err error
	if isHeader {
		m.Header, err = parseHeader(line)
	} else {
		m.End, err = parseEnd(line)
	}
	if err != nil {
		return Meta{}, err
	}
	return m, nil
}

func parseHeader(line []byte) (*ShardHeader, error) {
	type plain ShardHeader
	var h plain
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("%w: the header is not as forkscan writes it (%s)", ErrBadMeta, brief(err))
	}
	return (*ShardHeader)(&h), ShardHeader(h).checkCounts()
}

func parseEnd(line []byte) (*ShardEnd, error) {
	type plain ShardEnd
	var e plain
	switch err := json.Unmarshal(line, &e); {
	case err != nil:
		return nil, fmt.Errorf("%w: the end line is not as forkscan writes it (%s)", ErrBadMeta, brief(err))
	case e.State != Finished && e.State != Interrupted:
		return nil, fmt.Errorf("%w: the end line's state is neither %s nor %s", ErrBadMeta, Finished, Interrupted)
	case e.Files < 0 || e.Bytes < 0:
		return nil, fmt.Errorf("%w: the end line counts %d files of %d bytes", ErrBadMeta, e.Files, e.Bytes)
	}
	return (*ShardEnd)(&e), nil
}

// maxWhy is the longest a decoder's error is quoted.
const maxWhy = 200

// brief is err's text, cut to maxWhy bytes: a decoder's error quotes the
// value it could not take, which a hostile line makes as long as itself.
func brief(err error) string {
	why := err.Error()
	if len(why) <= maxWhy {
		return why
	}
	return strings.ToValidUTF8(why[:maxWhy], "") + "…"
}

// repeated returns the first of fields that the JSON object line names
// twice, matching names as encoding/json does (case folded, escapes
// read); "" if none is, or line is not JSON (Unmarshal will say so).
// Only fields are remembered, so what it holds does not grow with the
// line's other names.
func repeated(line []byte, fields []string) string {
	d := json.NewDecoder(bytes.NewReader(line))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := make([]bool, len(fields))
	for d.More() {
		t, err := d.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return ""
		}
		if i := slices.IndexFunc(fields, func(f string) bool { return strings.EqualFold(f, name) }); i >= 0 {
			if seen[i] {
				return fields[i]
			}
			seen[i] = true
		}
		var value json.RawMessage
		if d.Decode(&value) != nil {
			return ""
		}
	}
	return ""
}

// jsonNames is "type" and the JSON names of struct type t's fields.
func jsonNames(t reflect.Type) []string {
	names := []string{"type"}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}
