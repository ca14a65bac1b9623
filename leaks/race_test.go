//go:build race

package leaks

// raceDetector tells whether the tests run under the race detector, whose
// shadow memory makes tests of large texts slow.
const raceDetector = true
