# Everything the build and the tests need is installed from here: Go modules
# through go.mod, and the protobuf tools as pinned `go install`s into ./.bin.

GO    ?= go
BIN   := $(CURDIR)/.bin
# Pinned code generators. protoc-gen-go matches google.golang.org/protobuf in go.mod.
BUF_VERSION                := v1.75.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
TOOLS := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc
# The gitleaks release the benchmark compares with: the same version as the
# library in go.mod, built as `go install` builds it, and built with RE2.
GITLEAKS_VERSION := v8.30.1
# betterleaks (gitleaks' successor), measured beside them when BETTERLEAKS
# names a binary of it: by default one at .bin/betterleaks, if there is one.
# Nothing here builds it; the benchmark runs it with gitleaks' default rules.
BETTERLEAKS ?= $(wildcard $(BIN)/betterleaks)
# The history BenchmarkHistory scans: trufflehog's repository up to a pinned
# tag (4,537 commits), cloned bare once into .bin (the network is needed
# then); HISTORY_URL may name a local copy instead.
HISTORY_URL ?= https://github.com/trufflesecurity/trufflehog.git
HISTORY_REF ?= v3.97.0
HISTORY     := $(BIN)/history/trufflehog-$(HISTORY_REF).git

# Microsoft's SARIF validator, which TestSARIFPassesValidator runs over
# forkscan's SARIF: the npm package pinned in .ci/sarif/package-lock.json.
SARIF_MULTITOOL := $(CURDIR)/.ci/sarif/node_modules/.bin/sarif-multitool

.PHONY: all build test vet proto proto-check tools bench fuzz clean sarif-multitool

all: build

build:
	$(GO) build ./...
	$(GO) build -buildvcs=auto -o $(BIN)/forkscan ./cmd/forkscan

## test: vet, then every test with the race detector (real worker processes
## included); the secrets scanner's findings are compared with those of a
## released gitleaks (built with RE2, the fastest to compare with).
test: vet $(BIN)/gitleaks-re2
	FORKSCAN_GITLEAKS=$(BIN)/gitleaks-re2 $(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

## sarif-multitool: install the SARIF validator the SARIF tests run (npm);
## without it they skip, unless FORKSCAN_REAL_TOOLS is set.
sarif-multitool: $(SARIF_MULTITOOL)

$(SARIF_MULTITOOL): .ci/sarif/package.json .ci/sarif/package-lock.json
	cd .ci/sarif && npm ci --no-audit --no-fund
	touch $@

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

$(HISTORY):
	mkdir -p $(dir $@) && git clone --quiet --bare --single-branch --branch $(HISTORY_REF) $(HISTORY_URL) $@

$(BIN)/gitleaks:
	GOBIN=$(BIN) $(GO) install github.com/zricethezav/gitleaks/v8@$(GITLEAKS_VERSION)

$(BIN)/gitleaks-re2:
	mkdir -p $(BIN)/re2 && GOBIN=$(BIN)/re2 $(GO) install -tags gore2regex github.com/zricethezav/gitleaks/v8@$(GITLEAKS_VERSION)
	mv $(BIN)/re2/gitleaks $@

## bench: the benchmarks whose figures the README reports. The CLI's are
## measured on the binary `make build` makes, the one users run, all but
## BenchmarkInterrupt's (its busy jobs are a test-only scanner's).
bench: build $(BIN)/gitleaks $(BIN)/gitleaks-re2 $(HISTORY)
	FORKSCAN_BIN=$(BIN)/forkscan FORKSCAN_GITLEAKS=$(BIN)/gitleaks FORKSCAN_GITLEAKS_RE2=$(BIN)/gitleaks-re2 \
		FORKSCAN_BETTERLEAKS=$(BETTERLEAKS) FORKSCAN_HISTORY=$(HISTORY) \
		$(GO) test -run '^$$' -bench 'History' -benchtime 5x -timeout 30m ./cmd/forkscan/
	FORKSCAN_BIN=$(BIN)/forkscan FORKSCAN_GITLEAKS=$(BIN)/gitleaks FORKSCAN_GITLEAKS_RE2=$(BIN)/gitleaks-re2 \
		FORKSCAN_BETTERLEAKS=$(BETTERLEAKS) \
		$(GO) test -run '^$$' -bench 'SecretsVsGitleaks' -benchtime 3x -timeout 30m ./cmd/forkscan/
	$(GO) test -run '^$$' -bench 'ThroughputNoop' -benchtime 2000000x ./engine/
	FORKSCAN_BIN=$(BIN)/forkscan $(GO) test -run '^$$' -bench 'WorkerStart' -benchtime 20x ./cmd/forkscan/
	$(GO) test -run '^$$' -bench 'StartWorkers' -benchtime 20x ./engine/
	$(GO) test -run '^$$' -bench 'SlowJobs' -benchtime 3x ./engine/
	$(GO) test -run '^$$' -bench 'Semaphore' -benchtime 20000x ./engine/
	$(GO) test -run '^$$' -bench 'Respawn' -benchtime 50x ./engine/
	FORKSCAN_BIN=$(BIN)/forkscan $(GO) test -run '^$$' -bench 'ScanTree' -benchtime 5x -timeout 30m ./cmd/forkscan/
	FORKSCAN_BIN=$(BIN)/forkscan FORKSCAN_GITLEAKS=$(BIN)/gitleaks FORKSCAN_GITLEAKS_RE2=$(BIN)/gitleaks-re2 FORKSCAN_BETTERLEAKS=$(BETTERLEAKS) \
		$(GO) test -run '^$$' -bench 'Archives' -benchtime 3x -timeout 30m ./cmd/forkscan/
	FORKSCAN_BIN=$(BIN)/forkscan $(GO) test -run '^$$' -bench 'Interrupt' -benchtime 10x ./cmd/forkscan/
	FORKSCAN_BIN=$(BIN)/forkscan $(GO) test -run '^$$' -bench 'ToolsVsPeers' -benchtime 10x ./cmd/forkscan/
	FORKSCAN_BIN=$(BIN)/forkscan $(GO) test -run '^$$' -bench 'Shards|MergeMillion' -benchtime 3x -timeout 30m -v ./cmd/forkscan/

## fuzz: each fuzz target for a short while (FUZZTIME), keeping the inputs
## it found interesting in the package's testdata/fuzz, where plain
## `go test` runs them as seeds.
FUZZTIME ?= 20s
FUZZ := ./internal/wire:FuzzJobs ./internal/wire:FuzzResults ./engine:FuzzUpstream ./merge:FuzzShardHeaders \
	./leaks:FuzzDetect ./leaks:FuzzDecode ./leaks:FuzzParseAsGitleaks ./unpack:FuzzWalk
fuzz:
	@set -e; cache=$$($(GO) env GOCACHE)/fuzz/github.com/forkscan/forkscan; \
	for t in $(FUZZ); do pkg=$${t%%:*}; name=$${t##*:}; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
		mkdir -p $$pkg/testdata/fuzz/$$name; \
		cp -n $$cache/$${pkg#./}/$$name/* $$pkg/testdata/fuzz/$$name/ 2>/dev/null || true; \
	done

clean:
	rm -rf $(BIN) .ci/sarif/node_modules
