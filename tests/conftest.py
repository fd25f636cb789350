"""For every pytest suite of the project: a skipped test fails the run. A skip hides
exactly the failure a test exists to show (a missing tool, a missing function), so
CI must say so; `-rs` lists each skip with its reason."""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: a skip fails the run (see the reasons above)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
