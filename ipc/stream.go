package ipc

import (
	pb "github.com/forkscan/forkscan/proto/forkscan/v1"
)

// ParentStream is the parent's end of a worker's stream: requests down,
// responses up. CloseSend tells the worker no more requests will come.
// The gRPC client stream satisfies it, and so does Pipe's parent end.
type ParentStream interface {
	Send(*pb.WorkRequest) error
	Recv() (*pb.WorkResponse, error)
	CloseSend() error
}

// WorkerStream is the worker's end: requests come in, responses go out.
// Recv returns io.EOF once the parent has called CloseSend.
// The gRPC server stream satisfies it, and so does Pipe's worker end.
type WorkerStream interface {
	Send(*pb.WorkResponse) error
	Recv() (*pb.WorkRequest, error)
}
