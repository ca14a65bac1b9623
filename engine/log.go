package engine

import (
	"bytes"
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// pluginLogger routes go-plugin's logging (and the worker stderr lines it
// relays) to l at debug level: it is plumbing, quiet unless asked for.
func pluginLogger(l *slog.Logger) hclog.Logger {
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return hclog.NewNullLogger()
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:        "go-plugin",
		Level:       hclog.Debug,
		Output:      slogWriter{l},
		DisableTime: true,
	})
}

type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(string(bytes.TrimSpace(p)))
	return len(p), nil
}
