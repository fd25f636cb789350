"""pytest suite of the library as a whole, from outside: the C API (tests/c), wire
conformance, TLS, `make install` with the C/C++ examples (tests/cpp), the sandbox, and
the benchmark's smoke run. Shared fixtures come from tests/harness."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))       # harness
sys.path.insert(0, str(TESTS / "c"))  # cbuild: compiles the C test programs

from harness.fixtures import libspread, other, sb, second_session_sandbox, session_sandbox  # noqa: E402,F401
