"""Fixtures for the Python binding: the `spread` package from bindings/python, bound to
the library under test, and clients for the session's sandbox (tests/harness)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # harness

from harness import REPO_ROOT, Sandbox  # noqa: E402
from harness.fixtures import libspread, other, sb, second_session_sandbox, session_sandbox  # noqa: E402,F401

BINDING_DIR = REPO_ROOT / "bindings" / "python"
sys.path.insert(0, str(BINDING_DIR))

import spread  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def spread_library(libspread: Path) -> Iterator[Path]:
    """Every test uses the library the project suite tests (SPREAD_LIBRARY or target/release)."""
    saved = os.environ.get("SPREAD_LIBRARY")
    os.environ["SPREAD_LIBRARY"] = str(libspread)
    assert spread.library_path() == libspread
    yield libspread
    if saved is None:
        os.environ.pop("SPREAD_LIBRARY", None)
    else:
        os.environ["SPREAD_LIBRARY"] = saved


@pytest.fixture
def client(sb: Sandbox) -> Iterator[spread.Client]:
    """A client for the sandbox, reset for this test."""
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=10) as c:
        yield c

