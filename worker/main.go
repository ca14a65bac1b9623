package worker

import "github.com/forkscan/forkscan/internal/workerproc"

// Main serves as a worker and exits if this process was started as one by a
// forkscan parent; otherwise it returns at once. Call it first in main (and
// in TestMain of tests that spawn workers from the test binary), before
// anything prints to stdout: stdout carries the handshake.
func Main() { workerproc.Main() }
