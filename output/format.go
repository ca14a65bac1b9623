package output

import (
	"bytes"
	"encoding/json"

	"github.com/forkscan/forkscan/record"
)

// format turns records into output. The Writer calls it under its lock,
// in the order records arrive, after counting the record into its File,
// and writes what it puts in buf.
type format interface {
	// add takes one record of the file f (nil: it stands alone).
	add(buf *bytes.Buffer, rec record.Record, f *File) error
	// end writes what the format held back, once the run is over, and a
	// shard's end (nil if the output is not a shard's).
	end(buf *bytes.Buffer, shard *record.ShardEnd) error
}

// jsonlFormat writes one JSON object a line, each record as it comes.
type jsonlFormat struct {
	enc *json.Encoder
	buf *bytes.Buffer // where enc writes
}

func (j *jsonlFormat) add(buf *bytes.Buffer, rec record.Record, _ *File) error {
	if j.buf != buf {
		j.enc, j.buf = json.NewEncoder(buf), buf
		j.enc.SetEscapeHTML(false)
	}
	return j.enc.Encode(rec) // one whole line
}

// end writes a shard's end line.
func (j *jsonlFormat) end(buf *bytes.Buffer, shard *record.ShardEnd) error {
	if shard == nil {
		return nil
	}
	return json.NewEncoder(buf).Encode(shard)
}
