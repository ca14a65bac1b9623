// Package shutdown stops a set of worker processes in phases, the way a
// careful operator would by hand: ask, wait, insist, force.
//
//  1. Signal: each process is asked to stop over its own protocol
//     (Process.Stop); in forkscan that is the Shutdown message, on which a
//     worker stops taking jobs and cancels the ones it runs.
//  2. Drain: Stop waits up to Config.Grace for the processes to end, while
//     their output keeps being read by whoever reads it. Waiting without
//     reading is how pools deadlock on shutdown: a worker blocked writing
//     to a full pipe never gets to exit.
//  3. Term: the stragglers get SIGTERM and Config.TermWait to end.
//  4. Kill: the survivors get SIGKILL.
//  5. Final: Stop waits up to Config.KillWait for the killed processes to
//     be reaped and their last output read.
//
// Compared with exec.CommandContext, which sends one signal (SIGKILL unless
// Cancel says otherwise) and, with WaitDelay, waits once more, Stop runs a
// whole set of processes through every phase together, skips to SIGKILL
// when its context ends (a second Ctrl-C), and reports how long each phase
// took and which phase ended each process.
//
// Catch turns Ctrl-C into that stop, for a program at a terminal: the
// first SIGINT or SIGTERM cancels a context (the run begins its phased
// stop), a second skips to SIGKILL.
//
// The package knows nothing of scanners, jobs or gRPC: a Process is
// anything with a pid that can be asked to stop, signalled, and watched.
package shutdown
