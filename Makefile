# falco-libs-qa: the two commands of the README.
#   make run   - set up everything, then run the main job: the QA suite on every engine, as a matrix
#   make test  - set up everything, then pass the tests (live ones need root + BPF)
# Both are idempotent: dependencies are installed once, libs is fetched once and built once per
# (source, patches, options) into ~/.cache/sinspqa (override with SINSPQA_CACHE).

CARGO ?= cargo

.PHONY: setup build test run lint engines

setup:
	scripts/install-deps
	scripts/fetch-libs

build: setup
	scripts/cargo-progress build --release

test: setup
	scripts/cargo-progress build --tests
	$(CARGO) test

# The matrix: the host's engines, plus bookworm's kernel and bookworm-backports' in VMs.
KERNELS ?= bookworm,bookworm-backports

run: build
	target/release/sinspqa engines
	target/release/sinspqa run --kernels $(KERNELS)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

engines: build
	target/release/sinspqa engines
