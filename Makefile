# ECA Admin. Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make run     install what is missing, then start the app (UI dev server + Rust app)
#   make test    install what is missing, then run every check CI runs (.ci/run)
# `make help` lists the other targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# One target dir for the app, the CLI, the tests and the e2e binary: builds are slow on 2 cores.
export CARGO_TARGET_DIR ?= $(CURDIR)/target

TAURI        := npx --prefix ui tauri
KEYRING      := scripts/with-keyring.sh
BINDINGS     := ui/src/lib/ipc/bindings.ts
E2E_BIN      := $(CARGO_TARGET_DIR)/debug/eca-admin
# Arguments for the app, e.g. `make run ARGS="--data-dir /tmp/eca"`.
ARGS ?=

.PHONY: help deps run test fmt-check clippy core-tree-check bindings-check bindings rust-test \
        contract-fuzz fuzz ui-test e2e dist dist-test bench icons mutants

help:
	@echo 'make run       install missing dependencies, start the app (ARGS="..." for the app)'
	@echo 'make test      install missing dependencies, run every check CI runs'
	@echo 'make deps      install missing system packages, npm packages and tauri-driver'
	@echo 'make fmt-check | clippy | core-tree-check | bindings-check | rust-test | contract-fuzz'
	@echo '               | ui-test | e2e | dist-test'
	@echo '               the steps of make test, one at a time'
	@echo 'make dist      release packages for Linux (.deb, .rpm)'
	@echo 'make bindings  regenerate the TypeScript IPC bindings, $(BINDINGS)'
	@echo 'make fuzz      the property tests of the parsers of untrusted input, $(FUZZ_CASES) cases each'
	@echo '               (make test runs them with a few hundred)'
	@echo 'make bench     the benchmarks: store, login, push, platform sign-in under load, and'
	@echo '               start-up, memory and .deb size against a bare Tauri app'
	@echo 'make mutants   mutation testing of the critical modules, what the record lacks (MODULES="id-token ..."'
	@echo '               for some, FRESH=1 all again, UNIT=1 unit tests only, RERUN=1 only the survivors)'
	@echo 'make icons     regenerate icons/ from icons/source.svg'

deps:
	@scripts/install-deps.sh

run: deps
	$(TAURI) dev $(if $(ARGS),-- -- $(ARGS))

# Fail-fast, cheapest first.
test: deps
	$(MAKE) fmt-check
	$(MAKE) clippy
	$(MAKE) core-tree-check
	$(MAKE) bindings-check
	$(MAKE) rust-test
	$(MAKE) contract-fuzz
	$(MAKE) ui-test
	$(MAKE) e2e
	$(MAKE) dist-test
	@echo 'make test: all checks passed'

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

# The core crates (everything under src-tauri/crates/) must build without Tauri, for every OS.
core-tree-check:
	@for manifest in src-tauri/crates/*/Cargo.toml; do \
	  crate=$$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$$manifest" | head -n 1); \
	  tree=$$(cargo tree -p "$$crate" --target all --prefix none --format '{p}'); \
	  found=$$(awk '{print $$1}' <<<"$$tree" | grep -E '^(tauri|wry|tao)($$|-)' | sort -u || true); \
	  if [[ -n "$$found" ]]; then \
	    echo "core-tree-check: $$crate depends on Tauri through: $$found" >&2; exit 1; \
	  fi; \
	  echo "core-tree-check: $$crate has no Tauri in its dependency tree"; \
	done

# The app's `export_bindings` test (tauri-specta, src-tauri/app/commands/mod.rs) writes one file:
# a typed wrapper per command, every type they use, and the constants the UI takes from the
# model (problem codes, field and step labels). Run through --workspace so the build is shared
# with rust-test. The check writes it to a temporary file and compares with the one in the tree.
bindings-check:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	ECA_BINDINGS_FILE="$$tmp/bindings.ts" cargo test --workspace --quiet export_bindings; \
	if ! diff -u $(BINDINGS) "$$tmp/bindings.ts"; then \
	  echo 'bindings-check: $(BINDINGS) is stale: run `make bindings` and commit it' >&2; \
	  exit 1; \
	fi; \
	echo 'bindings-check: $(BINDINGS) is up to date'

bindings:
	ECA_BINDINGS_FILE="$(CURDIR)/$(BINDINGS)" cargo test --workspace --quiet export_bindings

# Secrets go to a real Secret Service: a private D-Bus session with an unlocked gnome-keyring.
rust-test:
	$(KEYRING) cargo test --workspace

# An independent client (schemathesis) against the reference backend, per contract: any 5xx,
# response that breaks its schema, or schema-valid request refused fails (scripts/schemathesis.sh).
CONTRACTS := docs/sync-api.yaml docs/auth-api.yaml
contract-fuzz:
	scripts/schemathesis.sh $(CONTRACTS)

# The property tests of every parser of untrusted input (an IdP's answers, callback and deep-link
# URLs, import files, the backend's answers), with many more cases than rust-test runs: no panic,
# bounded output. FUZZ_CASES=N changes how many.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p eca-oidc --lib -- props
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p eca-oidc --test callback_props --test parser_props
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p eca-core --test parser_props

ui-test:
	@if [[ ! -f ui/package.json ]]; then echo 'ui-test: SKIPPED, no ui/package.json yet'; exit 0; fi; \
	set -x; npm --prefix ui test; npm --prefix ui run check

# The real app window driven by WebdriverIO + tauri-driver under Xvfb, on a private D-Bus session
# and keyring (tests/e2e/run.sh). The binary embeds the built UI and is built once per run; the
# CLI is built too, so the tests can check that the window and `eca` see the same database, and
# the reference backend, which tests/e2e/sync.test.mjs pushes to.
e2e:
	$(TAURI) build --debug --no-bundle
	cargo build -p eca-cli
	cargo build -p eca-backend
	ECA_E2E_BIN="$(E2E_BIN)" tests/e2e/run.sh

# Release packages for Linux (.deb, .rpm) in $(CARGO_TARGET_DIR)/release/bundle/. AppImage is
# not built: its tooling is downloaded at build time, and builds here reach only loopback.
DEB_DIR := $(CARGO_TARGET_DIR)/release/bundle/deb
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)
dist:
	$(TAURI) build --bundles deb,rpm

# The bundle configuration as far as Linux can check it (tests/dist/bundle-config-check.py:
# the CLI's schema, one URL scheme everywhere, the NSIS registration), then the installed app
# receives links (tests/dist/install-test.sh): installs the release .deb with dpkg (as root,
# through sudo otherwise: CI's machine is thrown away), checks the desktop entry and the scheme's
# handler, delivers a link through the desktop to the running installed app, and removes it.
dist-test:
	tests/dist/bundle-config-check.py
	rm -rf "$(DEB_DIR)"
	$(TAURI) build --bundles deb
	$(SUDO) tests/dist/install-test.sh "$$(ls "$(DEB_DIR)"/*.deb)"

# Mutation testing (cargo-mutants) over tests/mutants/modules.txt: measures the mutants the
# committed record (tests/mutants/record) has no outcome for on today's code, then prints each
# module's score and fails under 90%, on a mutant not measured, or on a survivor not reviewed in
# tests/mutants/accepted.txt. Slow, so not part of `make test`. MODULES="id-token callback"
# only those; FRESH=1 every mutant again; UNIT=1 only unit tests against each mutant; RERUN=1
# only the recorded survivors; ONLY=REGEX only the mutants whose names match.
mutants: deps
	FRESH=$(FRESH) UNIT=$(UNIT) RERUN=$(RERUN) ONLY='$(ONLY)' scripts/mutants.sh $(MODULES)

# Start-up, memory and .deb size against a bare Tauri app (benches/startup.py): both release
# builds with the root Cargo.toml's release profile, measured on a private X display, D-Bus
# session and HOME.
BARE_APP     := benches/bare-app
STARTUP_ARGS := --app $(CARGO_TARGET_DIR)/release/eca-admin --bare $(CARGO_TARGET_DIR)/release/bare-app \
                --app-deb "$$(ls "$(DEB_DIR)"/*.deb | grep -v /bare-app_)" --bare-deb "$$(ls $(DEB_DIR)/bare-app_*.deb)" \
                --cli $(CARGO_TARGET_DIR)/release/eca
bench:
	cargo build --release -p eca-cli --bin eca --example minimal_login
	cargo bench -p eca-core
	cargo bench -p eca-cli --bench login
	$(KEYRING) cargo bench -p eca-cli --bench push
	cargo build --release -p eca-backend --example platform_floor
	cargo bench -p eca-backend --bench platform
	rm -rf "$(DEB_DIR)"
	$(TAURI) build --bundles deb
	cd $(BARE_APP) && npx --prefix $(CURDIR)/ui tauri build --bundles deb -- $$(python3 ../startup.py profile-config)
	xvfb-run -a --server-args='-screen 0 1280x800x24' $(KEYRING) python3 benches/startup.py $(STARTUP_ARGS)

icons: deps
	rsvg-convert -w 1024 -h 1024 icons/source.svg -o icons/source.png
	$(TAURI) icon icons/source.png -o icons
	rm -rf icons/android icons/ios

# The reference Sync backend (docs/sync-api.yaml) on loopback. It prints its URL, the dev
# workspace and a development API key. Its data (SQLite, secret key file, dev key) stays in
# BACKEND_DATA; BACKEND_ARGS adds flags, e.g. BACKEND_ARGS="--fault-admin --fault-503 0.1".
# It may reach IdPs on this machine (--allow-private-addresses), to try sign-in with a local
# one; a platform would not.
BACKEND_DATA ?= $(CARGO_TARGET_DIR)/eca-backend-data
BACKEND_ARGS ?=
.PHONY: backend
backend:
	cargo run -p eca-backend -- --listen 127.0.0.1:8787 --data-dir "$(BACKEND_DATA)" \
	  --allow-private-addresses $(BACKEND_ARGS)
