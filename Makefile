# TicketBlitz developer commands. `make help` lists them.
GO        ?= go
PKGS      ?= ./...
BENCHTIME ?= 10s

.PHONY: help run test test-short lint bench generate build fuzz cluster chaos

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run one node with the demo event on :8080
	$(GO) run ./cmd/ticketblitz

build: ## build the binaries into bin/
	$(GO) build -o bin/ticketblitz ./cmd/ticketblitz
	$(GO) build -o bin/blitzload ./cmd/blitzload

test: ## run every test with the race detector against local PostgreSQL and Redis
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || (gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1 $(PKGS)

generate: ## rebuild the protobuf code (needs protoc; protoc-gen-go comes from the module proxy)
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" $(GO) generate ./...

fuzz: ## run each fuzz target for 20s
	$(GO) test ./actors -run '^$$' -fuzz FuzzParseSeatID -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeHoldRequest -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeCreateEvent -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeConfirm -fuzztime 20s

cluster: ## run a local 3-node cluster with a shared broker (web page on :8080, :8081, :8082)
	$(GO) run ./cmd/ticketblitz dev --nodes 3

chaos: ## kill, pause, add, drain and restart nodes mid-sale, audit each run, write BENCHMARKS.md
	$(GO) run ./cmd/blitzload chaos --throughput 1,2,3

bench: ## measure actor, lock and pg side by side (see BENCHMARKS.md)
	$(GO) run ./cmd/blitzload bench
