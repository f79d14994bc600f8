# Developer shortcuts. `make test` is the same command CI runs.
.PHONY: help run demo sim test lint bench loadbench build shim

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/staas
	go build -ldflags "-X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o bin/staas ./cmd/staas

run: ## run the server (needs STAAS_* variables, see README)
	go run ./cmd/staas serve

sim: ## run the ostor gateway simulator with demo data on 127.0.0.1:9000
	go run ./cmd/staas sim -demo

# make demo ADDR=127.0.0.1:8090, or any flag of `staas demo`:
# make demo ARGS='-addr 127.0.0.1:8090 -dir /tmp/staas-demo'
ADDR ?= 127.0.0.1:8080
ARGS ?=
demo: ## the demo: simulator, staas and a WHMCS stand-in to click through (prints the URL; ADDR=, ARGS=)
	go run ./cmd/staas demo -addr '$(ADDR)' $(ARGS)

test: ## every test, as CI runs it (installs missing tools when run as root)
	./scripts/test.sh

shim: ## the PHP shim's PHPUnit suite against real staas servers (needs php-cli, php-curl, phpunit)
	go test -count=1 -v -run 'TestPHP' ./php-shim

lint: ## go vet, staticcheck and golangci-lint (.golangci.yml)
	go vet ./...
	go tool staticcheck ./...
	go tool golangci-lint run ./...

bench: ## the benchmarks whose figures the README quotes (README "Performance")
	go test -run='^$$' -bench=. -benchmem ./internal/ostor/
	go test -run='^$$' -bench=Ingest -benchtime=1x ./internal/usage/

loadbench: ## the load and scale benchmarks (README "Load and scale"; several minutes)
	go test -run='^$$' -bench=Lifecycle -benchtime=400x ./loadbench/
	go test -run='^$$' -bench='AdminPanel|AdminLinks' -benchtime=200x ./loadbench/
	go test -run='^$$' -bench=Overhead -benchtime=1000x ./loadbench/
	go test -run='^$$' -bench=Scale -benchtime=1x -timeout=30m ./loadbench/
