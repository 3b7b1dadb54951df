# TicketBlitz developer commands. `make help` lists them.
GO        ?= go
NPM       ?= npm
PKGS      ?= ./...
BENCHTIME ?= 10s
# SWAGGER_UI is the swagger-ui-dist release docs/viewer holds (see docs/viewer/README.md).
SWAGGER_UI ?= 5.36.0

.PHONY: help run test test-short lint bench generate build fuzz cluster chaos soak docs-config docs-viewer

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

docs-config: ## regenerate docs/configuration.md from the server's settings
	$(GO) run ./cmd/ticketblitz docs config > docs/configuration.md.new && mv docs/configuration.md.new docs/configuration.md

docs-viewer: ## re-fetch the API reference viewer (swagger-ui-dist $(SWAGGER_UI), from npm) into docs/viewer
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && $(NPM) pack --silent swagger-ui-dist@$(SWAGGER_UI) >/dev/null && tar xzf swagger-ui-dist-$(SWAGGER_UI).tgz) && \
	for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do \
		cp "$$tmp/package/$$f" docs/viewer/$$f || exit 1; \
	done && \
	sed -i 's/swagger-ui-dist [0-9][0-9.]*/swagger-ui-dist $(SWAGGER_UI)/' docs/viewer/README.md && \
	echo "docs/viewer: swagger-ui-dist $(SWAGGER_UI)"

fuzz: ## run each fuzz target for 20s
	$(GO) test ./actors -run '^$$' -fuzz FuzzParseSeatID -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeHoldRequest -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeCreateEvent -fuzztime 20s
	$(GO) test ./http -run '^$$' -fuzz FuzzDecodeConfirm -fuzztime 20s

cluster: ## run a local 3-node cluster with a shared broker (web page on :8080, :8081, :8082)
	$(GO) run ./cmd/ticketblitz dev --nodes 3

chaos: ## kill, pause, add, drain and restart nodes mid-sale, audit each run, write BENCHMARKS.md
	$(GO) run ./cmd/blitzload chaos --throughput 1,2,3

soak: ## a 30-minute mixed sale on two nodes: rows, memory, outbox lag over time, kill -9, audit; writes BENCHMARKS.md
	$(GO) run ./cmd/blitzload soak --duration 30m

bench: ## measure actor, lock and pg side by side (see BENCHMARKS.md)
	$(GO) run ./cmd/blitzload bench
