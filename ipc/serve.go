package ipc

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// IsWorker reports whether this process was started as a worker by a
// forkscan parent (the handshake cookie is in its environment).
func IsWorker() bool {
	return os.Getenv(Handshake.MagicCookieKey) == Handshake.MagicCookieValue
}

// Serve runs the worker side of the handshake and serves the WorkerService,
// handing each stream to serve. It returns when the parent stops the server.
// It must only be called in a process for which IsWorker is true.
func Serve(serve func(WorkerStream) error) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{pluginName: &workerPlugin{serve: serve}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, serverOptions()...)...)
		},
		// The worker's own plumbing logs only errors, to its stderr, which
		// the parent reads and routes to its slog logger.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "forkscan-worker", Level: hclog.Error, JSONFormat: true}),
	})
}
