"""Issue 23.6: each example's documented inputs, tested. The base URL comes from the
argument or SPREAD_BASE_URL (the sandbox's order arrives there); with neither and no
real keys, nothing is sent anywhere, least of all the sandbox's keys to SPREAD itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "python": [sys.executable, str(REPO / "bindings/python/examples/send_seed_order.py")],
    "php": ["php", str(REPO / "bindings/php/examples/send_seed_order.php")],
}


def run(lang: str, libspread: Path, args=(), **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPREAD_")}
    clean.update(SPREAD_LIBRARY=str(libspread), PYTHONPATH=str(REPO / "bindings/python"), **env)
    # An unroutable proxy: should an example still head for the real SPREAD, it fails fast.
    clean.update(HTTPS_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    return subprocess.run([*EXAMPLES[lang], *args], capture_output=True, text=True, env=clean, timeout=60)


@pytest.mark.parametrize("lang", EXAMPLES)
@pytest.mark.parametrize("how", ["argument", "SPREAD_BASE_URL"])
def test_the_documented_base_url_is_used(sb, libspread, lang, how):
    args, env = ([sb.base_url], {}) if how == "argument" else ((), {"SPREAD_BASE_URL": sb.base_url})
    proc = run(lang, libspread, args, **env)
    assert proc.returncode == 0, proc.stderr
    assert [r["path"] for r in sb.requests()] == ["/api/updateOrder"]
    assert "0000001" in sb.state()["orders"]


@pytest.mark.parametrize("lang", EXAMPLES)
def test_the_sandbox_keys_never_go_to_production(sb, libspread, lang):
    proc = run(lang, libspread)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "SPREAD_BASE_URL" in proc.stderr
    assert sb.requests() == []
