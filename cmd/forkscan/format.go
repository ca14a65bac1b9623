package main

import (
	"bytes"
	"encoding/json"
)

// formats are the names --format takes.
var formats = []string{"jsonl", "sarif", "text"}

// format turns records into output. The sink calls it under its lock, in
// the order records arrive, and writes what it puts in buf.
type format interface {
	// add takes one record; its file's ref (nil for none) says, once all
	// the file's records are in, that the file is complete.
	add(buf *bytes.Buffer, rec record, ref *fileRef) error
	// end writes what the format held back, once the run is over.
	end(buf *bytes.Buffer) error
}

// newFormat returns the format named by --format.
func newFormat(name string, o formatOptions) format {
	switch name {
	case "text":
		return &textFormat{color: o.color, pending: map[*fileRef][]record{}}
	case "sarif":
		return newSARIF(o)
	}
	return &jsonlFormat{}
}

// formatOptions is what formats need to know of the run.
type formatOptions struct {
	color bool     // text: ANSI colours
	roots []string // sarif: the run's roots, absolute
}

// jsonlFormat writes one JSON object a line, each record as it comes.
type jsonlFormat struct {
	enc *json.Encoder
	buf *bytes.Buffer // where enc writes
}

func (j *jsonlFormat) add(buf *bytes.Buffer, rec record, _ *fileRef) error {
	if j.buf != buf {
		j.enc, j.buf = json.NewEncoder(buf), buf
		j.enc.SetEscapeHTML(false)
	}
	return j.enc.Encode(rec) // one whole line
}

func (*jsonlFormat) end(*bytes.Buffer) error { return nil }
