# libspread. `make demo` runs the demo, `make test` every test; both install what is
# missing first (.ci/setup demo / .ci/setup: Debian packages as root, and for the tests
# the project's Python environment .venv/).

CARGO ?= cargo
# The demo's Python: the system's python3, standard library only.
SYSTEM_PYTHON ?= python3
# The tests' and the benchmark's Python: .venv, with tests/requirements.txt (pytest, requests).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
LIB := target/release/libspread.so

.PHONY: all build setup setup-demo headers demo lint test test-rust test-php test-python test-fuzz clean bench

all: build

# What the demo needs (PHP CLI with SQLite, a C compiler, python3), installed when missing.
setup-demo:
	@bash .ci/setup demo

# What every test and the benchmark need, installed when missing, and .venv.
setup:
	@bash .ci/setup test

# The library and the `spread` command (its crates are behind the `cli` feature, which
# the library alone, as the Python wheel builds it, leaves off).
build:
	$(CARGO) build --release --features cli
	sh scripts/install.sh dev-link

# Regenerates include/spread.h and include/spread_ffi.h from src/ffi/, then
# docs/reference.md from the header and the built library (its status classes).
headers: build
	SPREAD_BLESS=1 $(CARGO) test --profile test-release --test headers
	$(SYSTEM_PYTHON) scripts/gen_reference.py

demo: setup-demo build
	$(SYSTEM_PYTHON) scripts/demo.py

# Style, kept by tools; `make test` runs it first. Rust: rustfmt.toml's format and clippy
# with every warning an error, over the library, the CLI, tests, benches and examples
# (`--features cli`: the command and the tests that run it).
# PHP: php -l on every PHP file of the binding (bin/ scripts included) and of the tests'
# helpers, then PSR-12 (phpcs, Debian's php-codesniffer) on the binding; phpcs takes files
# without a .php suffix only through --stdin-path, hence the loop for bin/. Python: mypy
# --strict on the package (the one place it runs on the whole package as style; the pytests
# that run mypy check what a caller's type checker sees of the API).
PHP_LINT_FILES = $(shell find bindings/php tests/php/Support -name '*.php' -not -path '*/vendor/*') $(wildcard bindings/php/bin/*)
lint: setup
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --features cli -- -D warnings
	@for f in $(PHP_LINT_FILES); do out=$$(php -l "$$f" 2>&1) || { echo "$$out"; exit 1; }; done
	phpcs --standard=PSR12 --extensions=php --ignore=*/vendor/* bindings/php
	@for f in bindings/php/bin/*; do phpcs --standard=PSR12 --stdin-path="$$f.php" - <"$$f" || exit 1; done
	cd bindings/python && $(abspath $(PYTHON)) -m mypy --strict --cache-dir=$(abspath target/mypy) spread

# The tests build in the test-release profile (Cargo.toml): optimised as the release, without
# its link-time optimisation, which would cost a minute per test binary; `--features cli`
# builds the command the CLI's tests run.
test-rust: setup
	$(CARGO) test --profile test-release --features cli

test-php: setup build
	phpunit -c tests/php/phpunit.xml

# pytest: tests/integration (the library from outside: C API, wire, TLS, install, sandbox,
# bench smoke) and tests/python (the Python binding); both share tests/harness.
test-python: setup build
	$(PYTHON) -m pytest -q -rs tests/integration tests/python

# Coverage-guided fuzzing (libFuzzer) of every parser that reads outside input, FUZZ_SECONDS
# each from the committed seeds in fuzz/corpus/ (scripts/fuzz.sh; about 3 minutes in all).
FUZZ_SECONDS ?= 15
test-fuzz: setup
	sh scripts/fuzz.sh $(FUZZ_SECONDS)

test: lint setup build test-rust test-php test-python test-fuzz

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
	$(DIST_VENV)/bin/python -m pytest -q -rs tests/dist
