package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// record is one output line: the outcome of one scanner on one file.
type record struct {
	Root       string          `json:"root"`                  // the scanned root, absolute
	Path       string          `json:"path"`                  // relative to the root
	PathBase64 string          `json:"path_base64,omitempty"` // the exact bytes, when Path is not valid UTF-8
	Scanner    string          `json:"scanner"`
	Status     string          `json:"status"` // ok | error | skipped
	Findings   []scan.Finding  `json:"findings"`
	Data       json.RawMessage `json:"data,omitempty"`
	Error      *recordError    `json:"error,omitempty"`
	Reason     string          `json:"reason,omitempty"` // why skipped
	Attempts   int             `json:"attempts"`
	WorkerPID  int             `json:"worker_pid"`
	SHA256     string          `json:"sha256,omitempty"` // of the content the scanner saw
}

type recordError struct {
	Category    string `json:"category"`
	Message     string `json:"message"`
	Retryable   bool   `json:"retryable"`
	Remediation string `json:"remediation,omitempty"`
}

func newRecord(r engine.Result) record {
	rec := record{
		Path: r.Path, Scanner: r.Scanner, Status: r.Status.String(), Findings: r.Findings,
		Data: r.Data, Reason: r.Reason, Attempts: r.Attempts, WorkerPID: r.WorkerPID,
	}
	if ref, ok := r.Meta.(*fileRef); ok {
		rec.Root, rec.Path = ref.root, ref.rel
	}
	if r.SHA256 != nil {
		rec.SHA256 = hex.EncodeToString(r.SHA256)
	}
	if !utf8.ValidString(rec.Path) {
		rec.PathBase64 = base64.StdEncoding.EncodeToString([]byte(rec.Path))
		rec.Path = strings.ToValidUTF8(rec.Path, "\uFFFD")
	}
	if rec.Findings == nil {
		rec.Findings = []scan.Finding{}
	}
	if r.Err != nil {
		rec.Error = &recordError{Category: r.Err.Category.String(), Message: r.Err.Message,
			Retryable: r.Err.Retryable, Remediation: r.Err.Category.Remediation()}
	}
	return rec
}
