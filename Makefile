# omni-wasm — the two commands that matter are `make demo` and `make test`.
# Both install what is missing (rust target, wasm-bindgen CLI, npm packages, Chromium).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PORT ?= 8099
OMNI_URL ?=
WASM := --target wasm32-unknown-unknown
export PATH := $(CURDIR)/tests/js/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: all demo test setup setup-browser fmt-check clippy test-native test-wasm test-js \
        test-types test-e2e pkg pkg-console size descriptor sim bench check-deps clean

all: pkg

## demo: build, start omni-sim with demo data and serve the console (or proxy OMNI_URL)
demo: setup pkg-console sim
	@mkdir -p target/demo
	@if [ -n "$(OMNI_URL)" ]; then \
	  echo "demo: serving the console on http://127.0.0.1:$(PORT)/ and proxying /api/ to $(OMNI_URL)"; \
	  exec node www/serve.mjs --port $(PORT) --proxy "$(OMNI_URL)"; \
	else \
	  exec target/debug/omni-sim --demo --port $(PORT) --www www --pkg pkg \
	    --demo-key-out target/demo/service-account.key; \
	fi

## test: every check and test suite; prints the runners' own summaries
test: setup-browser fmt-check clippy check-deps test-native pkg test-wasm test-js test-examples test-types test-e2e
	@echo "make test: all stages passed"

setup:
	@scripts/setup.sh

setup-browser:
	@scripts/setup.sh --browser

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p omni-wasm $(WASM) --all-targets -- -D warnings
	$(CARGO) clippy -p omni-wasm $(WASM) --lib --no-default-features --features full -- -D warnings
	$(CARGO) clippy -p omni-wasm $(WASM) --lib --no-default-features --features browser -- -D warnings
	$(CARGO) clippy -p omni-wasm $(WASM) --lib --no-default-features --features templates -- -D warnings

## the wasm build has no runtime, thread or OS dependency
check-deps:
	scripts/check-wasm-deps.sh

test-native:
	$(CARGO) test --workspace

sim:
	$(CARGO) build -p omni-sim --bin omni-sim

## wasm tests (wasm-bindgen-test) in Node 20 against a running omni-sim
test-wasm: sim
	scripts/with-sim.sh env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  $(CARGO) test -p omni-wasm $(WASM)

## tests of the built npm package in Node (node:test) against omni-sim
test-js: sim
	scripts/with-sim.sh node --test --test-reporter=spec tests/js/

## every example in examples/ run against omni-sim: Node, workerd, headless Chromium, native Rust
.PHONY: test-examples
test-examples: sim
	scripts/with-sim.sh node tests/examples/run.mjs

## TypeScript type check of the package's .d.ts and the examples that use them
test-types:
	cd tests/js && tsc -p tsconfig.json

## the demo console in headless Chromium (needs the package and omni-sim in demo mode)
test-e2e: sim
	@mkdir -p target/e2e
	OMNI_SIM_ARGS="--demo --www www --pkg pkg --demo-key-out target/e2e/service-account.key" \
	  scripts/with-sim.sh node tests/e2e/console.mjs
	node tests/e2e/vite.mjs

## bench: the budgets' figures, side by side with what a JS developer writes instead (printed,
## never asserted): lists and watches on recorded responses, signing, templates
bench: pkg descriptor sim
	scripts/with-sim.sh node tests/bench/list.mjs
	scripts/with-sim.sh node tests/bench/watch.mjs
	node tests/bench/coldstart.mjs
	node tests/bench/sign.mjs
	node tests/bench/template.mjs
	cargo run -q --release --example template_bench

## the console needs only the full build (faster than all three flavours)
pkg-console: setup
	@if [ -f pkg/omni_wasm_bg.wasm ] && [ -z "$$(find src pkg-template Cargo.toml Cargo.lock build.rs proto -newer pkg/omni_wasm_bg.wasm -print -quit)" ]; then \
	  echo "pkg: up to date"; else PKG_FLAVOURS=full scripts/pkg.sh; fi

## pkg: the npm package in pkg/ (three flavours), with sizes
pkg: setup
	scripts/pkg.sh

## size: gzip -9 of the three builds against the budgets, and what each is made of (twiggy)
size: pkg
	@scripts/setup.sh --size
	@for f in full lite templates; do node scripts/size-table.mjs target/size/$$f.wasm; done

## faults: the fault campaign (watch cuts mid-frame, between events and as restarts; UNAVAILABLE
## bursts on every verb; timeouts; random aborts), both transports, with its figures (not in make test)
.PHONY: faults
faults: pkg sim
	scripts/with-sim.sh node tests/faults/run.mjs

## fuzz: every fuzz target for FUZZ_SECONDS (600) each, with a table of runs and crashes (not in make test)
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh

## descriptor: FileDescriptorSet of proto/ at target/proto.desc
descriptor:
	@mkdir -p target
	OMNI_WASM_DESCRIPTOR_OUT=$(CURDIR)/target/proto.desc $(CARGO) build -p omni-wasm --lib
	@ls -l target/proto.desc

clean:
	$(CARGO) clean
	rm -rf pkg

.PHONY: docs coverage

## docs: the API reference with every warning an error — rustdoc (target/docs/rust, and the wasm32
## build at target/docs/rust-wasm32) and TypeDoc of the shipped .d.ts (target/docs/ts); needs pkg/
docs:
	scripts/docs.sh

## coverage: line coverage of src/ from the native tests (cargo-llvm-cov) and of the JS glue from
## the Node tests (c8), printed per file with totals; not part of `make test`; needs pkg/
coverage:
	scripts/coverage.sh
