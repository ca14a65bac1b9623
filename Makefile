# Everything the build and the tests need is installed from here: Go modules
# through go.mod, and the protobuf tools as pinned `go install`s into ./.bin.

GO    ?= go
BIN   := $(CURDIR)/.bin
# Pinned code generators. protoc-gen-go matches google.golang.org/protobuf in go.mod.
BUF_VERSION                := v1.75.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
TOOLS := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc

.PHONY: all build test vet proto proto-check tools bench clean

all: build

build:
	$(GO) build ./...

## test: vet, then every test with the race detector (real worker processes included).
test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

tools: $(TOOLS)

$(BIN)/buf:
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(BIN)/protoc-gen-go-grpc:
	GOBIN=$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

## proto: lint the schema and regenerate the Go code (commit the result).
proto: tools
	$(BIN)/buf lint
	$(BIN)/buf generate

## proto-check: fail if the committed generated code differs from a fresh generation.
proto-check: tools
	$(BIN)/buf lint
	rm -rf $(CURDIR)/.bin/gen && $(BIN)/buf generate -o $(CURDIR)/.bin/gen
	diff -r -x '*.proto' $(CURDIR)/.bin/gen/proto proto || \
		(echo "generated protobuf code is stale: run 'make proto' and commit" >&2; exit 1)

## bench: the benchmarks whose figures the README reports.
bench:
	$(GO) test -run '^$$' -bench 'ThroughputNoop' -benchtime 2000000x ./engine/
	$(GO) test -run '^$$' -bench 'StartWorkers' -benchtime 20x ./engine/
	$(GO) test -run '^$$' -bench 'Semaphore' -benchtime 20000x ./engine/
	$(GO) test -run '^$$' -bench 'Respawn' -benchtime 50x ./engine/
	$(GO) test -run '^$$' -bench 'ScanTree' -benchtime 3x ./cmd/forkscan/
	$(GO) test -run '^$$' -bench 'Interrupt' -benchtime 10x ./cmd/forkscan/

clean:
	rm -rf $(BIN)
