package leaks

import "errors"

var ErrConfig = errors.New("config")

type segment struct{}
type decoder struct{}

func newDecoder() *decoder                                             { return &decoder{} }
func (d *decoder) decode(text string, prev []*segment) (string, []*segment) { return text, nil }
func overlapping(segs []*segment, start, end int) []*segment           { return nil }
func originalSpan(segs []*segment, start, end int) (int, int)          { return start, end }
func segmentsLine(segs []*segment, text string) string                 { return text }
func segmentTags(segs []*segment) []string                             { return nil }
