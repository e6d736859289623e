# The two commands that matter: `make run` (a working local instance, no
# setup) and `make test` (everything CI runs). See README.md.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
SPEC      := openapi.yaml
OAPI      := $(GO) tool oapi-codegen
SQLC      := $(GO) -C tools tool sqlc -f ../sqlc.yaml
REDOCLY   := tools/node_modules/.bin/redocly
TEST_FLAGS ?= -count=1 -timeout 8m

.PHONY: help run build generate lint check-generated vet test test-go progress bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

run: ## a complete local instance: finds or starts PostgreSQL, migrates, prints an admin token, serves
	$(GO) run ./cmd/wamux dev

build: ## build the wamux binary into bin/
	$(GO) build -o bin/wamux ./cmd/wamux

generate: ## regenerate gen/ from openapi.yaml (oapi-codegen) and queries/ (sqlc)
	$(OAPI) -config tools/oapi-codegen/types.yaml $(SPEC)
	$(OAPI) -config tools/oapi-codegen/server.yaml $(SPEC)
	$(OAPI) -config tools/oapi-codegen/client.yaml $(SPEC)
	$(SQLC) generate

$(REDOCLY): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(REDOCLY) ## lint openapi.yaml with Redocly
	$(REDOCLY) lint --config tools/redocly.yaml $(SPEC)

check-generated: generate ## fail when gen/ differs from what `make generate` makes
	@if [ -n "$$(git status --porcelain -- gen/)" ]; then \
		echo "gen/ is out of date with openapi.yaml or queries/: run make generate and commit"; \
		git status --porcelain -- gen/; git --no-pager diff --stat -- gen/; exit 1; \
	fi
	@echo "gen/ is up to date"

vet: ## go vet
	$(GO) vet ./...

test-go: ## the Go tests only (each test gets its own PostgreSQL database)
	$(GO) test $(TEST_FLAGS) ./...

progress: ## print how many operations of openapi.yaml still answer 501
	@$(GO) test -count=1 -run '^TestNotImplementedOperations$$' -v ./internal/httpapi | grep 'still answer 501'

test: lint check-generated vet test-go progress ## everything CI runs

bench: ## measure on a fresh database (wamux bench, a few minutes), then the Go micro-benchmarks; docs/performance.md
	$(GO) run ./cmd/wamux bench $(BENCH_FLAGS)
	$(GO) run ./cmd/wamux bench-fanout
	$(GO) run ./cmd/wamux bench-assign
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## fuzz the parsers of what strangers send, 30s each
	@for f in $$($(GO) test -list 'Fuzz.*' ./internal/... | grep '^Fuzz'); do \
		pkg=$$(grep -rl "func $$f" internal | head -1 | xargs dirname); \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s ./$$pkg; done

clean: ## remove build output
	rm -rf bin
