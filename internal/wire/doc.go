// Package wire packs jobs into the protocol's Jobs batches and results into
// its Results batches, and takes them apart again. A batch is laid out in
// columns, one repeated field per attribute (ids, names back to back with
// their end offsets, scanner sets, statuses, ...), not one message per job:
// a thousand jobs cost the sender and the receiver a handful of slices, not
// a thousand messages.
//
// It is to a Jobs or Results message what encoding/binary's Append and Read
// functions are to a byte slice: the layout, checked on the way in (a batch
// whose columns do not line up is ErrMalformed and yields nothing, so a
// worker cannot make the parent index out of range), and nothing of what the
// values mean. Moving the batches is ipc's stream; deciding what is in them
// is the engine's and the worker's, its only users.
package wire
