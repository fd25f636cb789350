"""`make bench` in smoke mode (bench/run.py --smoke): tiny counts, so it says nothing
about speed; it checks that the whole benchmark runs end to end (its nginx, TLS test
CA, delay proxy, every driver, criterion's build aside) and prints its table with
every row measured (a skipped row fails), that the server it measures against really
checks the keys, that each side sends what it should
on the wire (the seed: 2 requests and a new connection per order; libspread: 1 request,
kept connections; the bulk import's `spread send` and the enqueued orders: 1 request
each, so every enqueued order was delivered), and that its servers are gone afterwards."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("nginx", "wrk", "openssl", "php", "valgrind", "cc")


def have(tool: str) -> bool:
    return shutil.which(tool) is not None or (tool == "nginx" and Path("/usr/sbin/nginx").exists())


def test_benchmark_runs_end_to_end_in_smoke_mode(tmp_path: Path, libspread: Path) -> None:
    missing = [t for t in TOOLS if not have(t)]
    if missing:
        pytest.fail(f"the benchmark needs {', '.join(missing)}: run .ci/setup "
                    "(apt-get install nginx-light wrk php-cli php-curl valgrind)")
    raw = tmp_path / "smoke.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--json", str(raw)],
                          capture_output=True, text=True, timeout=240,
                          env=dict(os.environ, SPREAD_LIBRARY=str(libspread)))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-6000:]}"
    assert "auth checked (no key 401, wrong key 401, right key 200)" in proc.stderr, proc.stderr

    table = proc.stdout
    assert table.startswith("libspread benchmark (SMOKE"), table
    rows = {line.split()[0]: line.rstrip() for line in table.splitlines() if re.match(r"^\d[a-z]\s", line)}
    for row in ("1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "4a", "4c", "5a", "5b", "5c", "5d", "5e",
                "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c", "7d", "8a", "8b", "8c", "8d"):
        assert row in rows, f"row {row} missing:\n{table}"
    assert re.search(r"^targets: \d+/\d+ PASS", table, re.M), table
    for line in rows.values():
        # Every row was measured: a side that could not run ("SKIP: no requests…") fails.
        assert "SKIP" not in line, f"a row was skipped:\n{line}"
        # A verdict in the last column: PASS or MISS against a target, info without one.
        has_target = ">=" in line or "<=" in line or "flat" in line or "no leak" in line
        assert line.endswith(("PASS", "MISS") if has_target else "info"), line

    data = json.loads(raw.read_text())
    assert data["smoke"] is True
    series = data["series"]
    for name in ("php_seed_http_lo", "php_seed_https_lo", "php_seed_http_link", "php_seed_https_link",
                 "import_seed", "checkout_seed"):
        for requests, connections in series[name]["wire_per_order"]:
            assert (requests, connections) == (2.0, 1.0), (name, series[name])  # CURLAUTH_ANY's probe
    for name in ("php_binding_http_lo", "php_binding_https_lo", "py_binding_http_lo", "c_api_http_lo",
                 "php_binding_http_link", "php_binding_https_link", "import_cli", "checkout_send",
                 "checkout_enqueue"):
        for requests, connections in series[name]["wire_per_order"]:
            assert requests == 1.0, (name, series[name])  # Basic up front: no probe; every enqueued order sent once
            if name == "checkout_enqueue":
                # Delivered 8 at a time (the default delivery concurrency): at most 8 connections in all.
                assert connections <= 8 / data["counts"]["checkout_enqueue"], (name, series[name])
            else:
                assert connections < 0.5, (name, series[name])  # kept and reused
    # The checkout's call: each call of each side timed, and the enqueued orders delivered.
    counts = data["counts"]
    for name, count in (("checkout_seed", "checkout_seed"), ("checkout_send", "checkout_send"),
                        ("checkout_enqueue", "checkout_enqueue"), ("checkout_floor", "checkout_enqueue")):
        assert len(series[name]["calls_s"]) == counts[count] * counts["rounds_link"], (name, series[name])
    for run in series["checkout_enqueue"]["runs"]:
        assert run["delivery_seconds"] >= run["seconds"] > 0, run
    for scheme in ("http", "https"):
        vg = data["extra"][f"valgrind_{scheme}"]
        assert vg["definitely_lost"] == 0 and vg["indirectly_lost"] == 0 and vg["errors"] == 0, vg

    # The servers stopped with the run.
    for port in data["extra"]["ports"].values():
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"
