# netautopsy: the two set-up commands from README.md, plus helpers.
SWIFT ?= swift
DEPS = libpcap-dev libarchive-dev zlib1g-dev
# What the collector's live tests drive (Tests/NetautopsyTests/CollectorTests.swift): without
# them those tests are skipped, unless NETAUTOPSY_REQUIRE_LIVE=1 (CI) makes that a failure.
TEST_TOOLS = tcpdump fio iproute2 iptables iputils-ping iputils-tracepath shellcheck dash procps chromium

.PHONY: deps test-tools build sample test dist dist-check golden fixtures bench-inputs bench bench-text bench-batch bench-redact collector docs lint clean fuzz fuzz-smoke

# Installs the C libraries when they are missing (Debian/Ubuntu; needs root or sudo).
deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Best effort: the suite still runs (skipping the live collector tests) where this fails.
test-tools:
	@missing=""; for p in $(TEST_TOOLS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing ) \
	    || echo "could not install$$missing: the live collector tests will be skipped"; \
	fi

build: deps
	$(SWIFT) build -c release

# Analyzes the bundled sample incident and prints the autopsy report.
sample: build
	$$($(SWIFT) build -c release --show-bin-path)/netautopsy analyze fixtures/sample-bundle.tar.gz

# Runs the whole test suite.
test: deps test-tools
	$(SWIFT) test

# The release tarball (docs/release.md): dist/netautopsy-VERSION-linux-ARCH.tar.gz and dist/SHA256SUMS,
# the analyzer linked with the Swift runtime statically (built in .build-dist/).
dist: deps
	release/make-dist.sh

# Unpacks the tarball into an empty directory and runs it in a clean environment (CI runs this).
dist-check: dist
	release/check-dist.sh dist/netautopsy-*-linux-$$(uname -m).tar.gz

# Rewrites Tests/Golden/*.json, the whole JSON reports of the golden bundles, after a deliberate
# change to what reports say; commit the diff with the change (GoldenReportTests).
golden: deps
	NETAUTOPSY_UPDATE_GOLDEN=1 $(SWIFT) test --filter GoldenReportTests

# Rebuilds the real-traffic fixtures (root: network namespaces, tcpdump, iptables).
fixtures:
	fixtures/make-fixtures.sh
	fixtures/make-wire-fixtures.sh
	fixtures/make-cluster-fixtures.sh
	fixtures/make-cluster-fixtures.sh dns
	fixtures/make-cluster-fixtures.sh pod
	fixtures/analysis-oracle.sh ../shared/corpus/pcaps > fixtures/corpus-analysis-oracle.tsv
	../shared/corpus/oracle.sh fixtures/public-captures fixtures/public-captures.origins.tsv > fixtures/public-captures.oracle.tsv
	fixtures/analysis-oracle.sh fixtures/public-captures > fixtures/public-captures.analysis-oracle.tsv
	python3 fixtures/make-hostile.py
	python3 fuzz/make-regressions.py
	fixtures/make-incident-bundle.sh fixtures/incident-bundle.tar.gz
	fixtures/make-conntrack-bundle.sh fixtures/conntrack-full-bundle.tar.gz

# The benchmark (docs/performance.md): inputs from real traffic (root), then the timed runs.
bench-inputs:
	bench/make-inputs.sh

# The inputs are timed from a tmpfs (memory), as in docs/performance.md; STAGE= times them in place.
STAGE ?= /dev/shm/netautopsy-bench
bench: bench-inputs
	STAGE=$(STAGE) bench/run.sh
	bench/text.sh

# Text at the speed of reading: kernel and CoreDNS logs, a 2 GiB log in a tarball (inputs made by
# bench/make-text-inputs.py), and SOSREPORT=DIR when given (docs/performance.md).
bench-text:
	bench/text.sh

# Bundles per minute of `netautopsy batch` with 1 and 2 jobs (no root: fixture bundles).
bench-batch:
	bench/batch.sh

# `netautopsy redact` on two of the benchmark captures against copying and cutting them by hand.
bench-redact: bench-inputs
	bench/redact.sh

# Fuzzing (docs/security.md): every target for FUZZ_SECONDS (each text parser a quarter of it);
# fuzz-smoke is the brief run CI does (300 inputs per target, fixed seed: repeatable). Crash inputs land in .build-fuzz/artifacts/.
FUZZ_SECONDS ?= 300
fuzz: deps
	fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	FUZZ_RUNS=300 fuzz/run.sh 10

# Re-embeds collector/netautopsy-collect.sh into the binary after editing it, and lints it.
collector:
	collector/embed.sh
	shellcheck -s sh collector/netautopsy-collect.sh

# docs/checks.md is generated from the check descriptions; a test fails when it is stale.
docs: build
	$$($(SWIFT) build -c release --show-bin-path)/netautopsy checks --markdown > docs/checks.md

lint:
	shellcheck -s sh collector/netautopsy-collect.sh
	shellcheck collector/embed.sh fixtures/collector-scenario.sh fixtures/make-wire-fixtures.sh fixtures/analysis-oracle.sh \
	  fixtures/make-conntrack-bundle.sh bench/make-inputs.sh bench/run.sh bench/batch.sh bench/redact.sh bench/text.sh fuzz/run.sh \
	  bench/cluster.sh release/make-dist.sh release/check-dist.sh

clean:
	rm -rf .build
