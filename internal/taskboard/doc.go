// Package taskboard is a small table in memory that one worker and its parent
// share: for each of the worker's tasks, the job it is running and since
// when. The worker writes it (two atomic stores per job); the parent reads
// it whenever it likes, even after the worker died, which is what it is for:
// knowing which jobs a dead, hung or over-long worker was running, so that
// exactly those are charged an attempt and retried.
//
// It is to a worker what a flight recorder is to an aircraft: written all
// along at almost no cost, read by someone else after things went wrong. A
// message per job would cost throughput and die with the worker's stream;
// the board is a memfd both processes map (New in the parent, Open in the
// worker), or plain memory for a worker that runs in the parent's process
// (Local). It knows nothing of jobs beyond their ids.
package taskboard
