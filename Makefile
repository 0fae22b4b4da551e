# netautopsy: the two set-up commands from README.md, plus helpers.
SWIFT ?= swift
DEPS = libpcap-dev libarchive-dev zlib1g-dev

.PHONY: deps build sample test fixtures clean

# Installs the C libraries when they are missing (Debian/Ubuntu; needs root or sudo).
deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# Analyzes the bundled sample incident and prints the autopsy report.
sample: build
	$$($(SWIFT) build -c release --show-bin-path)/netautopsy analyze fixtures/sample-bundle.tar.gz

# Runs the whole test suite.
test: deps
	$(SWIFT) test

# Rebuilds the real-traffic fixtures (root: network namespaces, tcpdump, iptables).
fixtures:
	fixtures/make-fixtures.sh
	python3 fixtures/make-hostile.py

clean:
	rm -rf .build
