"""Fixtures of the release-artifact tests (`make test-dist`, after `make dist`): the
environment of a user who has no Rust toolchain, and the SPREAD sandbox.

Run on their own (`make test-dist`); `make test` leaves this folder out."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # the harness

from support import DIST, user_environment  # noqa: E402

# The sandbox fixtures (`sb`) of tests/conftest.py, which pytest loads only when it collects tests/.
_spec = importlib.util.spec_from_file_location("spread_tests_conftest", TESTS / "conftest.py")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
session_sandbox, sb = _shared.session_sandbox, _shared.sb


@pytest.fixture(scope="session")
def user_env() -> dict:
    return user_environment()


@pytest.fixture(scope="session", autouse=True)
def artifacts_built():
    """dist/ as `make dist` leaves it: a failure, not a skip, when it is missing."""
    if not (DIST / "SHA256SUMS").is_file():
        pytest.fail(f"{DIST}/SHA256SUMS is missing: run `make dist` (make test-dist does)")
