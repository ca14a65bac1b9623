// Package resume carries on a scan that stopped: it reads the JSON lines
// an earlier run wrote, keeps the records that are still true (status ok,
// for a file whose content has the SHA-256 recorded, made with the
// settings the run gives their scanner), drops the rest to be
// made again, and tells the next run which (file, scanner) pairs are done
// (Prior.Left), so the output ends with exactly one record per pair
// however often the run was stopped.
//
// It is what `make` is to a build, for scans: the output is the record of
// what was done, and content hashes, not timestamps, say what is stale;
// so do the settings each record was made with (a changed recipe, which
// make does not see).
// It knows nothing of the walk, the engine or the formats: it reads and
// writes record.Record lines.
package resume
