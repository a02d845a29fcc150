# Skranke: front-desk app for gyms. `make demo` runs it; `make test` tests it.
# Both install what a fresh Debian/Ubuntu machine lacks (see .ci/setup.sh).

SHELL       := /bin/bash
# A Go toolchain fetched by .ci/setup.sh (when the system's is missing or too old) wins.
export PATH := $(HOME)/.cache/skranke/go/bin:$(PATH)
export CGO_ENABLED := 1
GO          ?= go
FYNE_TOOLS  := fyne.io/tools/cmd/fyne@v1.7.4
# Build tags of every desk binary handed out (.ci/package.sh reads them from
# here too): no_animations gives text fields a steady caret, since Fyne's
# blinking one repaints the whole window 60 times a second and keeps an
# idle desk at 7 % of a core; no_emoji leaves out Fyne's 4 MB colour emoji
# font, which it parses anew for every text style of every size override
# (34 MB resident). See docs/benchmarks.md, "Desk idle". migrated_fynedo
# says the desk touches widgets only on the UI goroutine (fyne.Do), as it
# does: without it Fyne checks that on every refresh of every object by
# parsing a stack trace, 6 ms of the UI goroutine's CPU per scan.
export DESK_TAGS := no_animations,no_emoji,migrated_fynedo
DEMO_DIR    ?= $(CURDIR)/.demo
DEMO_ADDR   ?= 127.0.0.1:8080
DEMO_PROFILE ?= epson-tm-t20iii

.PHONY: all setup build screenshots test test-stress bench bench-sync bench-shopd bench-shopd-search bench-other bench-desk demo package package-test package-windows test-windows licenses clean fmt vet lint

all: build

setup:
	@bash .ci/setup.sh >/dev/null

build: setup
	$(GO) build -tags $(DESK_TAGS) -o bin/skranke ./cmd/skranke
	$(GO) build -o bin/shopd ./cmd/shopd

vet: setup
	$(GO) vet ./...

lint: setup
	$(GO) run $(STATICCHECK) ./...

# staticcheck from the Go module proxy, pinned: 0.8.x is the line that knows Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# docs/img/screen-*.png: every screen and state the README shows, in
# Norwegian at 1024x768, drawn by Fyne's software renderer against a real
# shopd (TestScreenshots in app/).
screenshots: setup
	SKRANKE_SCREENSHOTS=$(CURDIR)/docs/img GOWORK=off $(GO) test -count=1 -run '^TestScreenshots$$' ./app/

# The whole suite: unit, integration against shopd on loopback, serial through
# ptys, printers over TCP and files, and the real binary under Xvfb.
test: setup
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run .ci/licenses.go -check
	GOWORK=off $(GO) test -count=1 -timeout 25m ./...
	@if command -v wine >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null; then \
		$(MAKE) --no-print-directory test-windows; \
	else echo "test: Wine or mingw-w64 missing; Windows smoke test skipped (CI always runs it)"; fi

# The suite while another process keeps every core busy, as on a loaded CI
# machine: STRESS_RUNS times in a row, stopping at the first failure.
STRESS_RUNS ?= 1
test-stress:
	@bash .ci/setup.sh --stress >/dev/null
	@stress-ng --cpu $$(nproc) --timeout 3h --quiet & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq $(STRESS_RUNS)); do \
		echo "test-stress: run $$i of $(STRESS_RUNS), load $$(cut -d' ' -f1 /proc/loadavg)"; \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory test || exit 1; \
		echo "test-stress: run $$i passed in $$(( $$(date +%s) - start )) s"; \
	done

# Benchmarks. Each runs BENCH_COUNT times (benchstat gives a spread from 6) and
# the raw output goes to docs/bench/*.txt, committed with the figures in
# docs/benchmarks.md, which quote medians and spread as
# `benchstat docs/bench/<file>.txt` prints them.
BENCH_COUNT ?= 6
BENCH_DIR   := docs/bench
bench: setup bench-sync bench-shopd bench-other

# The desk's cache and sync loop. A whole first sync (or scenario) is one
# op and runs once per count; the latency benchmarks run 1,000 ops per
# count so that each count's p99 comes from 1,000 samples. The first run
# builds a synced 1,000,000-purchase cache under $$TMPDIR (minutes, once).
bench-sync: setup
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; { \
	$(GO) test -run '^$$' -bench 'FirstSync100k|ScanDuringSync|Drain1000' -benchtime 1x -count $(BENCH_COUNT) -timeout 60m ./sync/ && \
	$(GO) test -run '^$$' -bench 'Lookup|IncrementalSync' -benchtime 1000x -benchmem -count $(BENCH_COUNT) -timeout 60m ./sync/ && \
	$(GO) test -run '^$$' -bench 'SearchCached1M|Pickup1M|Month1M|MonthCards100k' -benchtime 1000x -count $(BENCH_COUNT) -timeout 60m ./sync/ && \
	$(GO) test -run '^$$' -bench 'Status' -benchmem -count $(BENCH_COUNT) ./sync/; \
	} | tee $(BENCH_DIR)/desk-sync.txt

# shopd's benchmarks: SQLite and PostgreSQL side by side, with the disk's
# fsync rate measured in the same run. The open-loop polls take 100 s per
# store and run, hence the timeout. To compare with an older commit on a
# shared machine, run both in turns: .ci/bench-compare.sh <commit> <dir>.
bench-shopd: setup
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 100m ./cmd/shopd/... | tee $(BENCH_DIR)/shopd.txt

# shopd's search at a million purchases in a chain of four centres, on
# SQLite and on PostgreSQL (BenchmarkSearch1M, 1,000 searches of each kind
# per count). The first run seeds both (tens of minutes on a busy machine;
# kept under $$TMPDIR by schema), later runs load them in minutes. Not part
# of bench-shopd, which it would slow by far more than it measures.
bench-shopd-search: setup
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; SKRANKE_BENCH_1M=1 $(GO) test -run '^$$' -bench 'Search1M' -benchtime 1x -count $(BENCH_COUNT) -timeout 180m \
		./cmd/shopd/shop/ | tee $(BENCH_DIR)/shopd-search-1m.txt

# Every other package's benchmarks.
bench-other: setup
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 40m \
		$$($(GO) list ./... | grep -v -e '/sync$$' -e '/cmd/shopd') | tee $(BENCH_DIR)/other.txt

# The real desk binary under Xvfb against a real shopd holding
# BENCH_DESK_PURCHASES purchases: start to ready, first sync (rate per
# 100,000, bytes written), idle CPU and memory, and BENCH_DESK_SCANS scans
# typed as a wedge scanner does, each timed to the frame painted with the
# purchase, on an idle desk, during BENCH_DESK_SYNC_ROUNDS first syncs and
# during BENCH_DESK_CATCHUP_ROUNDS catch-ups of BENCH_DESK_CATCHUP changes,
# read from its log lines and /proc. BENCH_DESK_SHOP_DB and BENCH_DESK_DATA
# start from (or keep) a seeded shop and a synced desk; BENCH_DESK_BIN
# measures another build (see cmd/skranke/benchdesk_test.go). Minutes; not
# part of `make bench` or `make test`.
BENCH_DESK_PURCHASES ?= 1000000
bench-desk: setup
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; BENCH_DESK_PURCHASES=$(BENCH_DESK_PURCHASES) $(GO) test -tags benchdesk -run '^TestRealDeskBench$$' -v \
		-count 1 -timeout 60m ./cmd/skranke/ | tee $(BENCH_DIR)/desk-binary.txt

# Starts shopd with demo data and the desk app against it, printing to a file
# printer whose every job is rendered to PNG next to it and shown in the app.
demo: build
	@bash .ci/demo.sh "$(DEMO_DIR)" "$(DEMO_ADDR)" "$(DEMO_PROFILE)"

# Release packages in dist/: a stripped, -trimpath build as .tar.xz and .deb
# (desktop entry, icon, udev rule for scanners and printers). Names and
# version come from FyneApp.toml, which the build leaves untouched.
package: setup
	@bash .ci/package.sh linux

# Installs dist/skranke_*.deb with apt, checks and runs it, removes it again.
# Needs root or password-less sudo (CI runs it as root; see .ci/run).
package-test: package
	@bash .ci/package.sh deb-test

# The Windows GUI program (no console, icon, version info) cross-built with
# Debian's mingw-w64, zipped with the licences.
package-windows: setup
	@bash .ci/package.sh windows

# Smoke test of the Windows build under Wine: printer-test writes the same
# bytes as on Linux, and the app opens its first-run screen under Xvfb.
test-windows: package-windows build
	@bash .ci/package.sh windows-test

# THIRD_PARTY_LICENSES from the module graph of the shipped binaries.
licenses:
	$(GO) run .ci/licenses.go

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin dist
