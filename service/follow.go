package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/maphash"
	"io"
	"net/http"
	"os"
	"time"
)

// followEvery is how often a follower looks for more records, and for
// the end of its scan, once it has sent what the file holds.
const followEvery = 200 * time.Millisecond

// streamRecords writes a scan's records file, whole lines only: as it is
// now, or with follow, everything the scan writes until it has ended.
//
// Following is more than reading a growing file. A scan carried on after
// a restart has its file replaced (resume.Load writes the records that
// stay true to a new file and renames it over the old), so a follower
// holding the old file would read a file no longer written and miss the
// rest. At each end of what it has read, a follower compares the file at
// the path with the one it holds (device and inode); when they differ it
// reads the new one from the start, sending only records of a (root,
// path, scanner) it has not sent. Each record of the scan is thus sent
// exactly once: the first the follower read of its (file, scanner). A
// record the resume dropped and made again (an error, a file changed
// since) is not sent again; the results without follow, once the scan
// has ended, are the last word.
//
// What was sent is a set of 64-bit hashes of (root, path, scanner),
// hash/maphash seeded afresh for each stream so that no tree can name
// its files to make two collide: 25 to 40 bytes a record in a Go map
// (measured at 1,000 to 3 million entries), 40 MB for a million records.
// Two records of different files hash alike with a chance of about
// n²/2⁶⁵ for n records: 3·10⁻⁸ for a million.
//
// A follower ends when the scan has ended (done, failed, cancelled, or
// removed), after sending what the file holds then, and never earlier:
// it waits while the scan is queued, running, or interrupted for the
// next start to carry on. If the server stops first, the follower sends
// what the stopped scan wrote and cuts the connection: the client sees
// an error, not an end, and follows again after the restart, its records
// sent again from the start of the file.
func (s *Server) streamRecords(ctx context.Context, w http.ResponseWriter, id string, follow bool) {
	fl := &follower{path: s.recordsPath(id), follow: follow, buf: make([]byte, 64<<10)}
	if follow {
		fl.seen, fl.seed = map[uint64]struct{}{}, maphash.MakeSeed()
	}
	defer fl.close()
	if err := fl.open(); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	flusher, _ := w.(http.Flusher)
	last, cut := !follow, false
	for {
		if err := fl.open(); err != nil {
			s.log.Warn("following a scan's records", "id", id, "error", err)
		}
		if err := fl.send(w); err != nil {
			return // the client went, or the file cannot be read
		}
		if last {
			if cut {
				panic(http.ErrAbortHandler) // the server stopped: not the scan's end
			}
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if s.hasEnded(ctx, id) {
			last = true // one more read: all it wrote is in the file before it ends
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stopped:
			last, cut = true, true
		case <-time.After(followEvery):
		}
	}
}

// hasEnded reports whether a scan has ended for good, or is no more. A
// scan still among the running ones has not: its records file is whole
// only once it has left them. Read as Get reads (see live), without a
// running scan's workers.
func (s *Server) hasEnded(ctx context.Context, id string) bool {
	running, ends := s.live()
	if running[id] != nil {
		return false
	}
	if end := ends[id]; end != nil {
		return end.State.Ended()
	}
	sc, err := s.store.get(ctx, id)
	return errors.Is(err, ErrNoScan) || err == nil && sc.State.Ended()
}

// follower reads a scan's records file for one stream.
type follower struct {
	path    string
	follow  bool
	f       *os.File // nil until the file exists
	partial []byte   // the start of a line not yet whole
	buf     []byte
	seen    map[uint64]struct{} // with follow: the records sent, hashed
	seed    maphash.Seed
}

// open opens the file at the path if none is open, or if the path now
// holds another file than the one open. No file yet is no error: the
// scan has not started.
func (fl *follower) open() error {
	if fl.f != nil {
		held, err := fl.f.Stat()
		now, nerr := os.Stat(fl.path)
		if err != nil || nerr != nil || os.SameFile(held, now) {
			return nil // the same file, or none to replace it with
		}
		fl.close()
	}
	f, err := os.Open(fl.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	fl.f, fl.partial = f, nil
	return nil
}

func (fl *follower) close() {
	if fl.f != nil {
		_ = fl.f.Close()
		fl.f = nil
	}
}

// send writes the whole lines the file holds past what was read, to its
// end; with follow, only records not sent before.
func (fl *follower) send(w io.Writer) error {
	if fl.f == nil {
		return nil
	}
	for {
		n, err := fl.f.Read(fl.buf)
		if n > 0 {
			data := append(fl.partial, fl.buf[:n]...)
			end := bytes.LastIndexByte(data, '\n') + 1
			if out := fl.fresh(data[:end]); len(out) > 0 {
				if _, werr := w.Write(out); werr != nil {
					return werr
				}
			}
			fl.partial = bytes.Clone(data[end:])
			continue
		}
		if err == nil || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
}

// fresh returns the lines of whole lines to send: all of them, or with
// follow the records among them not sent before (a line that is not a
// record is never sent: the resume drops it too).
func (fl *follower) fresh(lines []byte) []byte {
	if !fl.follow {
		return lines
	}
	var out []byte
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		line := lines[:i+1]
		lines = lines[i+1:]
		var k struct {
			Root       string `json:"root"`
			Path       string `json:"path"`
			PathBase64 string `json:"path_base64"`
			Scanner    string `json:"scanner"`
		}
		if json.Unmarshal(line, &k) != nil || k.Scanner == "" || k.Path == "" && k.PathBase64 == "" {
			continue
		}
		var h maphash.Hash
		h.SetSeed(fl.seed)
		for _, part := range []string{k.Root, k.Path, k.PathBase64, k.Scanner} {
			_, _ = h.WriteString(part)
			_ = h.WriteByte(0)
		}
		sum := h.Sum64()
		if _, sent := fl.seen[sum]; sent {
			continue
		}
		fl.seen[sum] = struct{}{}
		out = append(out, line...)
	}
	return out
}
