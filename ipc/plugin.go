package ipc

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// Handshake is the go-plugin handshake between a forkscan parent and the
// binary it re-execs as a worker. The cookie travels in the environment; a
// binary started without it is not a worker (see worker.Main).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "FORKSCAN_WORKER",
	MagicCookieValue: "7c1f1e0a-forkscan-worker-v1",
}

// pluginName is the name the worker plugin is dispensed under.
const pluginName = "worker"

// workerPlugin is the go-plugin definition of a worker. On the worker side
// it serves the WorkerService with serve; on the parent side it hands out a
// WorkerService client.
type workerPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	serve func(WorkerStream) error
}

func (p *workerPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterWorkerServiceServer(s, &server{serve: p.serve})
	return nil
}

func (p *workerPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewWorkerServiceClient(c), nil
}

type server struct {
	pb.UnimplementedWorkerServiceServer
	serve func(WorkerStream) error
}

func (s *server) Work(stream grpc.BidiStreamingServer[pb.WorkRequest, pb.WorkResponse]) error {
	if s.serve == nil {
		return errors.New("ipc: worker has no serve function")
	}
	return s.serve(stream)
}

// Flow-control sizes for the gRPC transport. The defaults (64 KiB windows)
// cap one stream's throughput well below what batches of jobs need; a larger
// window lets a whole batch be in the socket while the next is encoded.
const (
	streamWindow = 4 << 20
	connWindow   = 8 << 20
	bufferSize   = 256 << 10
)

func serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.WriteBufferSize(bufferSize),
		grpc.ReadBufferSize(bufferSize),
	}
}

func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
		grpc.WithWriteBufferSize(bufferSize),
		grpc.WithReadBufferSize(bufferSize),
	}
}
