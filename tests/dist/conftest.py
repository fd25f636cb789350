"""Fixtures of the release-artifact tests (`make test-dist`, after `make dist`): the
environment of a user who has no Rust toolchain, and the SPREAD sandbox.

Run on their own (`make test-dist`); `make test` leaves this folder out."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # the harness

from harness.fixtures import sb, session_sandbox  # noqa: E402,F401  (the SPREAD sandbox, as every suite has it)
from support import DIST, user_environment  # noqa: E402


@pytest.fixture(scope="session")
def user_env() -> dict:
    return user_environment()


@pytest.fixture(scope="session", autouse=True)
def artifacts_built():
    """dist/ as `make dist` leaves it: a failure, not a skip, when it is missing."""
    if not (DIST / "SHA256SUMS").is_file():
        pytest.fail(f"{DIST}/SHA256SUMS is missing: run `make dist` (make test-dist does)")
