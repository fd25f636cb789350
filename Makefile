# libspread. `make demo` runs the demo, `make test` every test; both install
# missing system tools first (.ci/setup, Debian, as root).

CARGO ?= cargo
PYTHON ?= python3
LIB := target/release/libspread.so

.PHONY: all build setup headers demo test test-rust test-php test-python clean bench

all: build

# Tools the demo and the tests need; .ci/setup installs them when one is missing.
setup:
	@for tool in php phpunit php-fpm8.2 cgi-fcgi valgrind cc c++ cmake pkg-config curl openssl nginx wrk; do \
	  command -v $$tool >/dev/null || [ -x /usr/sbin/$$tool ] || { echo "installing system tools ($$tool is missing)"; bash .ci/setup; break; }; \
	done
	@$(PYTHON) -c "import pytest, requests" 2>/dev/null || $(PYTHON) -m pip install -q --disable-pip-version-check pytest requests

build:
	$(CARGO) build --release
	sh scripts/install.sh dev-link

# Regenerates include/spread.h and include/spread_ffi.h from src/ffi/.
headers:
	SPREAD_BLESS=1 $(CARGO) test --release --test headers

demo: setup build
	$(PYTHON) scripts/demo.py

# Release profile everywhere: dependencies are compiled once for the build and the tests.
test-rust:
	$(CARGO) test --release

test-php: build
	phpunit -c tests/php/phpunit.xml

test-python: build
	$(PYTHON) -m pytest -q tests --ignore=tests/dist

test: setup build test-rust test-php test-python

clean:
	$(CARGO) clean

# C/C++ consumers: `make install PREFIX=/opt/spread` (default /usr/local; DESTDIR
# stages, LIBDIR/INCLUDEDIR/BINDIR override) installs the libraries with their
# SONAME links, the headers, spread.pc, the CMake package and the CLI.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
INSTALL_ENV = PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' BINDIR='$(BINDIR)' DESTDIR='$(DESTDIR)'

.PHONY: install uninstall

install: build
	$(INSTALL_ENV) sh scripts/install.sh install

uninstall:
	$(INSTALL_ENV) sh scripts/install.sh uninstall

# `make bench`: libspread against the seed's curl block, Python's requests and a wrk
# floor, on servers it starts on loopback (nginx with Basic auth, HTTP and HTTPS with a
# test CA, a 20 ms link); prints one table of ratios with PASS/MISS against the targets,
# writes bench/RESULTS.md and the raw numbers to bench/results/. See bench/README.md.
bench: setup build
	$(PYTHON) bench/run.py

# Release artifacts for users without a Rust toolchain (scripts/dist.sh): `make dist` builds,
# into dist/, a manylinux wheel and an sdist, a C/C++ tarball, a Composer package and Debian
# packages, all from one build for glibc >= 2.17, with SHA256SUMS. `make test-dist` installs
# each one the way its user does, outside the repository and without cargo on PATH, and sends
# an order through it (installs and purges the .debs: root). `.ci/setup dist` installs the tools.
DIST_VENV := .venv-dist

.PHONY: dist-setup dist test-dist

dist-setup:
	@for tool in cargo-zigbuild composer dpkg-deb; do \
	  command -v $$tool >/dev/null || { echo "installing the dist tools ($$tool is missing)"; bash .ci/setup dist; exit; }; \
	done; \
	$(DIST_VENV)/bin/python -c "import ziglang, build, wheel, auditwheel, pytest" 2>/dev/null || \
	  { echo "installing the dist tools ($(DIST_VENV) is missing or incomplete)"; bash .ci/setup dist; }

dist: dist-setup
	bash scripts/dist.sh

test-dist: setup dist
	$(DIST_VENV)/bin/python -m pytest -q tests/dist
