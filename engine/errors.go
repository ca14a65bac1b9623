package engine

import (
	"errors"
	"fmt"

	"github.com/forkscan/forkscan/ipc"
)

// Errors a caller may need to tell apart. Match them with errors.Is.
var (
	// ErrConfig is wrapped by every configuration error from Start.
	ErrConfig = errors.New("engine: invalid configuration")
	// ErrUnknownScanner is a configuration error naming an unregistered scanner.
	ErrUnknownScanner = fmt.Errorf("%w: unknown scanner", ErrConfig)
	// ErrWorkerStart is wrapped by Start's error when a worker could not be
	// started; it also wraps ipc.ErrHandshake when the handshake failed.
	ErrWorkerStart = errors.New("engine: worker failed to start")
	// ErrHandshake is ipc.ErrHandshake, re-exported for callers of engine.
	ErrHandshake = ipc.ErrHandshake
	// ErrAllWorkersLost is returned by Wait when every worker died before
	// the jobs were done; the jobs left were recorded as PROCESS_CRASH errors.
	ErrAllWorkersLost = errors.New("engine: every worker was lost")
)
