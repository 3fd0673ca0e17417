# JobIn — developer commands. `make run` and `make test` are all a newcomer needs.
CARGO ?= cargo
SHELL := /bin/bash
# Where the PostgreSQL and Redis suites connect (the same defaults as the suites themselves).
TEST_POSTGRES_URL := $(or $(JOBIN_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/test)
TEST_REDIS_URL := $(or $(JOBIN_TEST_REDIS_URL),redis://127.0.0.1:6379)
# Crates that do I/O; none may appear in jobin-core's dependency tree.
IO_CRATES := sea-orm sqlx fred reqwest hyper poem poem-openapi async-stripe tokio mio socket2 lettre

.PHONY: run install demo test lint fmt fmt-check openapi openapi-check openapi-lint sdk sdk-test docs-check mcp-test fuzz arch-check crypto-check bench bench-criterion bench-feed bench-analytics bench-tracker bench-matching bench-corpus eval-dedup deploy-check image

## run: the server on its embedded default (SQLite + secrets under ./data, in-process limits)
run:
	$(CARGO) run --locked -p jobin-app --bin jobin -- serve

## install: put the `jobin` binary on PATH (cargo install into ~/.cargo/bin); `jobin serve` then runs the server
install:
	$(CARGO) install --locked --path app --bin jobin

## demo: the same server on seeded fake job boards (no keys, no network): every search answers offline
demo:
	$(CARGO) run --locked -p jobin-app --bin jobin -- serve --demo

## test: architecture check, then every test. The suites that need PostgreSQL or Redis are
## #[ignore]d; they run (--include-ignored) when either answers, and always in CI, which requires both.
## The tests that read ../shared are named shared_*; a bare clone filters them out (CI requires them).
test: arch-check
	@answers() { local hp="$${1#*://}"; hp="$${hp##*@}"; hp="$${hp%%/*}"; \
	  timeout 2 bash -c "exec 3<>/dev/tcp/$${hp%:*}/$${hp##*:}" 2>/dev/null; }; \
	args=(); \
	if [ -n "$$CI" ] || answers "$(TEST_POSTGRES_URL)" || answers "$(TEST_REDIS_URL)"; then \
	  echo "test: PostgreSQL/Redis suites included (--include-ignored)"; args+=(--include-ignored); \
	else \
	  echo "!!!!! test: neither PostgreSQL nor Redis answers: their suites are listed as ignored below; CI runs them."; \
	fi; \
	if [ -z "$$CI" ] && [ ! -d ../shared ]; then \
	  echo "!!!!! test: ../shared is absent (a bare clone): the shared_* tests that read it are filtered out (counted as 'filtered out' below); CI runs them."; \
	  args+=(--skip shared_); \
	fi; \
	$(CARGO) test --workspace --locked --exclude jobin-benches -- "$${args[@]}"

## lint: formatting and clippy with warnings as errors
lint: fmt-check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

## openapi: regenerate openapi/openapi.json (never edit it by hand)
openapi:
	$(CARGO) run --locked -q -p jobin-openapi

## openapi-check: fail if openapi/openapi.json differs from the generated document
openapi-check:
	$(CARGO) run --locked -q -p jobin-openapi -- target/openapi.generated.json
	diff -u openapi/openapi.json target/openapi.generated.json

## openapi-lint: validate openapi/openapi.json (openapi-spec-validator) and lint it (redocly, 0 errors); installs both under target/tools
openapi-lint:
	openapi/lint.sh

## sdk: generate a Python client and TypeScript types from openapi/openapi.json into target/sdk (not committed)
sdk:
	openapi/sdk/generate.sh

## sdk-test: generate both clients, then run their smoke tests against a live demo server
sdk-test:
	openapi/sdk/smoke.sh

## docs-check: /docs rendered in headless Chromium (installed with apt-get when missing): title, /v1 operations only, own error examples; screenshot in target/docs
docs-check:
	openapi/docs-check.sh

## mcp-test: the official Python MCP client (installed under target/tools/mcp) in a session with /mcp on a live demo server
mcp-test:
	tests/mcp/smoke.sh

## fuzz: contract fuzzing (schemathesis) of every operation against a live demo server; FUZZ_EXAMPLES per operation
fuzz:
	openapi/fuzz/run.sh

## image: the container image localhost/jobin:latest (deploy/container/Containerfile; buildah, FROM scratch with the release binary)
image:
	deploy/container/build.sh

## deploy-check: deploy/ holds up: the systemd unit verifies, the image builds and its exported filesystem serves as a non-root user, the compose and Prometheus files are well formed
deploy-check:
	deploy/check.sh

## arch-check: jobin-core depends on no I/O crate and names no route, header or payment provider; no import circle in any crate; app/src/http imports nothing above it; only wiring/stores/config name adapters
arch-check:
	@tree="$$($(CARGO) tree --locked -p jobin-core -e normal --prefix none --format '{p}' | cut -d' ' -f1 | sort -u)"; \
	bad=""; for c in $(IO_CRATES); do echo "$$tree" | grep -qx "$$c" && bad="$$bad $$c"; done; \
	if [ -n "$$bad" ]; then echo "arch-check: jobin-core depends on I/O crates:$$bad"; exit 1; fi; \
	echo "arch-check: jobin-core has no I/O dependency ($$(echo "$$tree" | wc -l) crates checked)"
	@bad="$$(grep -rniE '(/jobs\b|/auth/|/billing/|/v1/|X-[A-Z][A-Za-z]+-|Authorization:|stripe)' core/src \
	  | grep -v 'https://' || true)"; \
	if [ -n "$$bad" ]; then echo "arch-check: jobin-core names a route, header or payment provider (app and adapters own them):"; echo "$$bad"; exit 1; fi; \
	echo "arch-check: jobin-core names no route, header or payment provider"
	@python3 tests/arch/module_cycles.py app/src core/src adapters/src
	@bad="$$(grep -rn 'crate::server\|crate::wiring\|crate::stores' app/src/http || true)"; \
	if [ -n "$$bad" ]; then echo "arch-check: the HTTP layer imports the server or the wiring above it:"; echo "$$bad"; exit 1; fi; \
	bad="$$(grep -n 'crate::http' app/src/http/context.rs app/src/http/paths.rs app/src/http/routes.rs app/src/endpoints.rs || true)"; \
	if [ -n "$$bad" ]; then echo "arch-check: a leaf of the HTTP layer imports the layer:"; echo "$$bad"; exit 1; fi; \
	echo "arch-check: app/src/http imports nothing above it; its leaves (context, paths, routes, endpoints) nothing of it"
	@bad="$$(grep -rln 'jobin_adapters' app/src --include='*.rs' | grep -vE '^app/src/(wiring\.rs|wiring/|stores\.rs|stores/|config/)' || true)"; \
	if [ -n "$$bad" ]; then echo "arch-check: only the wiring, the stores and the config name concrete adapters (jobin_adapters); also:"; echo "$$bad"; exit 1; fi; \
	bad="$$(grep -rn 'crate::http' app/src/state.rs app/src/answers.rs app/src/metrics.rs app/src/config || true)"; \
	if [ -n "$$bad" ]; then echo "arch-check: the state and what it holds import nothing of the HTTP layer:"; echo "$$bad"; exit 1; fi; \
	echo "arch-check: jobin_adapters only in wiring, stores and config; the state below the HTTP layer"

## crypto-check: exactly one rustls crypto provider (aws-lc-rs); ring must not be in the graph
crypto-check:
	@out="$$($(CARGO) tree --locked -i ring -e normal 2>&1)"; \
	if echo "$$out" | grep -q '^ring'; then echo "$$out"; exit 1; fi; echo "crypto-check: ring is not in the graph"

## bench-criterion: criterion benchmarks: dedup+merge at 1k/10k/100k jobs, search fan-out latency, enhance cost
bench-criterion:
	$(CARGO) bench --locked -p jobin-benches --bench merge --bench fanout --bench enhance

## bench-feed: feed paging over 1,000,000 stored jobs on PostgreSQL (JOBIN_TEST_POSTGRES_URL): page latency at start, middle, end
bench-feed:
	$(CARGO) bench --locked -p jobin-benches --bench feed

## bench-analytics: uncached salary + trends over 100,000 stored postings (JOBIN_BENCH_CORPUS_JOBS), SQLite and PostgreSQL
bench-analytics:
	$(CARGO) bench --locked -p jobin-benches --bench analytics

## bench-tracker: tracker list pages over 100,000 applications in one account (JOBIN_BENCH_APPLICATIONS), SQLite and PostgreSQL
bench-tracker:
	$(CARGO) bench --locked -p jobin-benches --bench tracker

## bench-matching: saved-search matching, 1,000 postings against 10,000 saved searches (word index vs testing each; then end to end on SQLite and PostgreSQL)
bench-matching:
	$(CARGO) bench --locked -p jobin-benches --bench matching
	$(CARGO) bench --locked -p jobin-benches --bench matching_e2e

## eval-dedup: the merge rule's precision and recall over labelled pairs (the fixture's; the board captures' and real postings' from ../shared); ARGS=--wrong lists the misses
eval-dedup:
	$(CARGO) run --locked -q -p jobin-tests --bin eval-dedup -- $(ARGS)

## bench-corpus: GET /v1/jobs over 1,000,000 stored postings (JOBIN_BENCH_CORPUS_POSTINGS), SQLite and PostgreSQL: a filtered page with three facets, page 1 vs page 1,000
bench-corpus:
	$(CARGO) bench --locked -p jobin-benches --bench corpus

## bench: load benchmark (wrk + open loop; release build): /auth/me and a cached search vs /health, embedded and PostgreSQL+Redis; JOBIN_BENCH_BEFORE=<binary> adds a before column
bench:
	bench/load.sh
