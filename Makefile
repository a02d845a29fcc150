# Skranke: front-desk app for gyms. `make demo` runs it; `make test` tests it.
# Both install what a fresh Debian/Ubuntu machine lacks (see .ci/setup.sh).

SHELL       := /bin/bash
# A Go toolchain fetched by .ci/setup.sh (when the system's is missing or too old) wins.
export PATH := $(HOME)/.cache/skranke/go/bin:$(PATH)
export CGO_ENABLED := 1
GO          ?= go
FYNE_TOOLS  := fyne.io/tools/cmd/fyne@v1.7.4
DEMO_DIR    ?= $(CURDIR)/.demo
DEMO_ADDR   ?= 127.0.0.1:8080
DEMO_PROFILE ?= epson-tm-t20iii

.PHONY: all setup build test test-stress bench bench-shopd demo package package-test package-windows test-windows licenses clean fmt vet lint

all: build

setup:
	@bash .ci/setup.sh >/dev/null

build: setup
	$(GO) build -o bin/skranke ./cmd/skranke
	$(GO) build -o bin/shopd ./cmd/shopd

vet: setup
	$(GO) vet ./...

lint: setup
	$(GO) run $(STATICCHECK) ./...

# staticcheck from the Go module proxy, pinned: 0.8.x is the line that knows Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The whole suite: unit, integration against shopd on loopback, serial through
# ptys, printers over TCP and files, and the real binary under Xvfb.
test: setup
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run .ci/licenses.go -check
	GOWORK=off $(GO) test -count=1 -timeout 14m ./...
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

# Benchmarks; the figures go to docs/benchmarks.md by hand after a run.
bench: setup bench-shopd
	$(GO) test -run '^$$' -bench . -benchmem -timeout 40m $$($(GO) list ./... | grep -v /cmd/shopd) | tee bench.out

# shopd's benchmarks, each BENCH_COUNT times (benchstat needs 6 for a 95%
# interval), raw output to docs/bench/shopd.txt next to the figures quoted
# from it: SQLite and PostgreSQL side by side, with the disk's fsync rate
# measured in the same run. To compare with an older commit on a shared
# machine, run both in turns: .ci/bench-compare.sh <commit> <dir>.
BENCH_COUNT ?= 6
bench-shopd: setup
	@mkdir -p docs/bench
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 60m ./cmd/shopd/... | tee docs/bench/shopd.txt

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
	rm -rf bin dist bench.out
