"""Fork safety from C (issue 21): tests/c/fork.c calls fork() after a send
and while a flush or a send is in flight, against tests/harness/verdicts.py
(a keep-alive server whose verdict, 400 or 200, depends on the order)."""

from __future__ import annotations

import subprocess

import pytest

from harness.verdicts import VerdictServer
from cbuild import compile_program  # tests/c (conftest.py puts it on sys.path)


@pytest.fixture(scope="module")
def fork_program(tmp_path_factory, libspread):
    return compile_program("fork", tmp_path_factory.mktemp("c-fork"), libspread)


def test_fork_answers_and_locks_stay_with_their_process(fork_program, tmp_path):
    with VerdictServer() as vs:
        proc = subprocess.run([str(fork_program), vs.base_url, str(tmp_path / "spool")],
                              capture_output=True, text=True, timeout=120)
        ids = vs.ids()
    out = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0 and " checks, 0 failed" in proc.stdout, out
    assert "crossing: parent got 0 other answers, child 0" in proc.stdout, out
    # Both sides really sent all their orders (the crossing was possible).
    assert {f"C-{n}" for n in range(30)} <= set(ids) and {f"P-{n}" for n in range(30)} <= set(ids)
