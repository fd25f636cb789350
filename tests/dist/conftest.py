"""Fixtures of the release-artifact tests (`make test-dist`, after `make dist`): the
environment of a user who has no Rust toolchain, and the SPREAD sandbox.

Run on their own (`make test-dist`); `make test` leaves this folder out."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the harness

from harness import Sandbox  # noqa: E402
from support import DIST, dist_file, user_environment  # noqa: E402


@pytest.fixture(scope="session")
def user_env() -> dict:
    return user_environment()


@pytest.fixture(scope="session", autouse=True)
def artifacts_built():
    """dist/ as `make dist` leaves it: a failure, not a skip, when something is missing."""
    if not (DIST / "SHA256SUMS").is_file():
        pytest.fail(f"{DIST}/SHA256SUMS is missing: run `make dist` (make test-dist does)")
    dist_file("SHA256SUMS")


@pytest.fixture(scope="session")
def session_sandbox():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sb(session_sandbox) -> Sandbox:
    """The session's sandbox, emptied and with no fault."""
    session_sandbox.reset()
    return session_sandbox
