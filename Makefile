# shallot: the two commands are `make run` and `make test` (see README.md).
GO      ?= go
BIN     := bin/shallot
DATA    ?= ./shallot-data
MOUNT   ?= ./mnt
S3_ADDR ?= 127.0.0.1:9000
# Packages whose tests are cheap enough to run under the race detector.
RACE_PKGS := ./meta/... ./objstore/... ./s3srv/... ./cmd/... ./bench/s3sign/... ./bench/s3load/...

.PHONY: build run test deps unit fuse-test e2e vet fmt-check depcheck bench clean

build:
	$(GO) build -o $(BIN) ./cmd/shallot

run: build
	$(BIN) serve --data $(DATA) --mount $(MOUNT) --s3-addr $(S3_ADDR)

# Every test: static checks, unit tests (race detector), the FUSE door's
# tests on a real mount, and end-to-end tests with real clients.
test: deps build fmt-check vet depcheck unit fuse-test e2e

deps:
	bash tests/install-deps.sh

unit:
	$(GO) test -race -count=1 -timeout 10m $(RACE_PKGS)

fuse-test:
	$(GO) test -race -count=1 -timeout 10m ./fuse/...

e2e: build
	$(GO) test -count=1 -timeout 15m ./tests/...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Each third-party library is imported by one package only (STYLE.md #10).
depcheck:
	@bash tests/depcheck.sh

bench: build
	bash bench/run.sh

clean:
	rm -rf bin
