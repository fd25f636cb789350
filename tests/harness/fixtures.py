"""The pytest fixtures every Python suite shares (tests/integration, tests/python): the
built library, and a sandbox per session (emptied before each test that asks for `sb`).
Each suite's conftest.py imports them:

    from harness.fixtures import libspread, other, sb, second_session_sandbox, session_sandbox  # noqa: F401
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .sandbox import REPO_ROOT, Sandbox


@pytest.fixture(scope="session")
def libspread() -> Path:
    """The shared library under test: SPREAD_LIBRARY, else target/release (built by `make`)."""
    path = Path(os.environ.get("SPREAD_LIBRARY") or REPO_ROOT / "target" / "release" / "libspread.so")
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build --release` (make does it)")
    return path


def _sandbox_per_session():
    with Sandbox() as sandbox:
        yield sandbox


session_sandbox = pytest.fixture(scope="session", name="session_sandbox")(_sandbox_per_session)
second_session_sandbox = pytest.fixture(scope="session", name="second_session_sandbox")(_sandbox_per_session)


@pytest.fixture
def sb(session_sandbox) -> Sandbox:
    """The session's sandbox, emptied and with no fault."""
    session_sandbox.reset()
    return session_sandbox


@pytest.fixture
def other(second_session_sandbox) -> Sandbox:
    """A second sandbox, emptied: another origin (port) for redirects, or a
    twin that receives one client's requests while `sb` receives another's."""
    second_session_sandbox.reset()
    return second_session_sandbox
