package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/worker/scan"
)

// "configured" is a test-only scanner built with the run's options: it
// reports them as its data, and refuses to be built with "refuse".
func init() {
	scan.Register(scan.Def{Name: "configured", NewWith: func(options []byte) (scan.Scanner, error) {
		if string(options) == "refuse" {
			return nil, errors.New("configured: refused its options")
		}
		return scan.ScannerFunc(func(context.Context, *scan.File) (scan.Report, error) {
			return scan.Report{Data: string(options)}, nil
		}), nil
	}})
}

func TestScannerOptionsReachEveryWorker(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			cfg := engine.Config{Scanners: []string{"configured", "noop"}, Workers: 2, InProcess: m.inProcess,
				ScannerOptions: map[string][]byte{"configured": []byte("depth=3")}}
			o := runAll(t, context.Background(), cfg, paths(100, "f-%d"))
			require.NoError(t, o.err)
			for _, r := range o.results {
				if r.Scanner == "configured" {
					require.JSONEq(t, `"depth=3"`, string(r.Data))
				}
			}
			require.Len(t, o.results, 200)
		})
	}
	_, err := engine.Start(context.Background(), engine.Config{Scanners: []string{"configured"}, Workers: 1,
		ScannerOptions: map[string][]byte{"configured": []byte("refuse")}}, paths(1, "f-%d"))
	require.ErrorIs(t, err, engine.ErrWorkerStart)
	require.ErrorContains(t, err, "refused its options")
	requireNoChildren(t)
}
