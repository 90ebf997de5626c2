# falco-libs-qa: the two commands of the README.
#   make run   - set up everything, then run the main job: the QA suite on every engine, as a matrix
#   make test  - set up everything, then pass the tests (live ones need root + BPF)
# And for users who work in containers (needs only Docker, see scripts/container):
#   make                 - builder image, sinsp-example image, scap.ko, then `make test` in the builder
#   make container-test  - only `make test` in the builder container again
# Both are idempotent: dependencies are installed once, libs is fetched once and built once per
# (source, patches, options) into ~/.cache/sinspqa (override with SINSPQA_CACHE).

CARGO ?= cargo

.PHONY: all container-test setup build test test-libs run lint engines coverage mutate seeded-bugs fuzz test-asan

all:
	scripts/container all

container-test:
	scripts/container test

setup:
	scripts/install-deps
	scripts/fetch-libs

build: setup
	scripts/cargo-progress build --release

test: setup
	scripts/cargo-progress build --tests
	$(CARGO) test

# The matrix: the host's engines, plus a kernel of each generation in VMs (bullseye 5.10,
# bookworm 6.1, trixie 6.12, trixie-backports 7.x), for the libs source in ./libs; LIBS=0.20.0,0.25.4,master (or paths of libs trees) runs it once per libs
# source (scripts/libs-matrix; 0.25.4 and master need LIBS_TARBALL_DIR=<folder with their archives>
# once, then they are cached).
KERNELS ?= bullseye,bookworm,trixie,trixie-backports
LIBS ?=

ifeq ($(strip $(LIBS)),)
run: build
	target/release/sinspqa libs
	target/release/sinspqa engines
	target/release/sinspqa run --kernels $(KERNELS)
else
run: setup
	scripts/libs-matrix $(LIBS) --kernels $(KERNELS)
endif

# Other libs versions' tests (every scenario on the host), then their matrix (the smoke set) on the
# host and in one guest per version:
# `make test-libs LIBS=0.25.4,master` (CI runs it; 0.25.4 and master need
# LIBS_TARBALL_DIR=<folder with their archives> once, then they are cached).
TEST_KERNELS ?= bookworm
test-libs: setup
	scripts/libs-matrix --tests $(LIBS) --kernels $(TEST_KERNELS) --smoke

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

engines: build
	target/release/sinspqa engines

# What the scenarios assert of this libs' event table: every current event, whether a scenario
# asserts it and each param's status (by value, unchecked with a reason, bounded, missing).
coverage: build
	target/release/sinspqa coverage

# Hostile input at scale: 10 000 mutated captures (fixed seed) through `sinspqa capture -r`;
# `make test` runs 200 of them. MUTATIONS=N and MUTATION_SEED=S change the run.
MUTATIONS ?= 10000
MUTATION_SEED ?= 1592642302
mutate: setup
	SINSPQA_MUTATIONS=$(MUTATIONS) SINSPQA_MUTATION_SEED=$(MUTATION_SEED) $(CARGO) test --release --test mutation -- --nocapture

# Seeded driver and parser bugs (tests/seeds/<libs version>.tsv), each alone in a copy of libs:
# the host suites must fail on every one.
seeded-bugs: setup
	scripts/seeded-bugs

# libFuzzer on the savefile path (fuzz/savefile_fuzzer.cpp) with libs, sinsp-example and the shim
# under ASan + UBSan, seeded with every fixture and libs' reference captures; crashes are kept and
# summarised by their top frames in target/fuzz/report.txt. CI runs 90 s of it.
FUZZ_SECONDS ?= 600
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# The tests that replay hostile input (mutation, capture_core's replays) against the same
# ASan + UBSan build: any sanitizer report fails them, or is a libs finding by its frames.
test-asan: setup
	MUTATIONS=$(or $(MUTATIONS_ASAN),200) scripts/test-asan
