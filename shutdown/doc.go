// Package shutdown will hold the phased stop of a set of worker processes:
// signal them over the protocol, drain their results while waiting, SIGTERM
// the stragglers, SIGKILL the survivors, drain once more.
//
// Until it is written, the engine stops an interrupted run itself, in two of
// those phases: it sends Shutdown to every worker and reads their results
// for Config.Grace, then ends the workers that are left (go-plugin's close,
// then a kill).
package shutdown
