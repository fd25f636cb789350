#!/usr/bin/env python3
"""`make bench`: libspread against what shops do today, on one machine, in one run.

Starts its own servers on 127.0.0.1 (nginx with HTTP Basic auth and a static
answer, over HTTP and over HTTPS with a test CA made now; a TCP proxy that
turns loopback into a 20 ms round-trip link), runs every side of every
comparison in alternation for several rounds, and prints ONE table of medians
and ratios, with PASS/MISS against the targets of issue 6. The machine is
shared and noisy: the ratios are the result, not the absolute times.

    .venv/bin/python bench/run.py            # the full run (a few minutes); writes bench/RESULTS.md
    .venv/bin/python bench/run.py --smoke    # tiny counts, ~30 s: checks that everything runs

Raw numbers go to bench/results/ as JSON (--json PATH to choose). Needs:
target/release/libspread.so (make build), nginx (nginx-light), wrk, php
(php-cli, php-curl), openssl, cc, valgrind, cargo; Python's `requests` for
the Python rows (skipped without it; .venv has it: make setup).

One module per thing measured: rows_php.py (seed curl block vs PHP binding, loopback
and the 20 ms link), rows_python.py (requests vs Python binding), rows_c.py (C API vs
the wrk floor, encoding, memory and valgrind), rows_bulk.py (send_many); what they
share: servers.py (nginx, test CA, delay proxy, child processes), measure.py (counts,
drivers, rounds) and report.py (the table, the JSON, RESULTS.md).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import rows_bulk
import rows_c
import rows_checkout
import rows_php
import rows_python
from measure import LIBRARY, Bench
from report import machine_header, render, write
from servers import stop_all

# Sections, in the order they run (--only picks some): key, what measures it. The
# loopback ones run pinned to one CPU with nginx's worker (Bench.pinned; --no-pin: not).
SECTIONS = [
    ("1", rows_php.measure_loopback),
    ("2", rows_python.measure),
    ("3", rows_c.measure_floor),
    ("4", rows_c.measure_encode),
    ("5", rows_php.measure_link),
    ("6", rows_bulk.measure),
    ("7", rows_c.measure_memory),
    ("8", rows_checkout.measure),
]
LOOPBACK = {"1", "2", "3"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check that everything runs")
    parser.add_argument("--only", help="comma-separated sections to run: 1,2,3,4,5,6,7,8")
    parser.add_argument("--json", type=Path, help="where to write the raw numbers "
                        "(default: bench/results/<time>.json, none with --smoke)")
    parser.add_argument("--no-md", action="store_true", help="do not rewrite bench/RESULTS.md")
    parser.add_argument("--no-pin", action="store_true", help="loopback rows: let the scheduler place the "
                        "client and nginx (default: both on one CPU)")
    args = parser.parse_args()
    if not LIBRARY.exists():
        print(f"{LIBRARY} is missing: run `make build` (or `cargo build --release`)", file=sys.stderr)
        return 2
    for tool in ("nginx", "wrk", "php", "openssl", "cc", "valgrind", "cargo"):
        if not (shutil.which(tool) or (tool == "nginx" and Path("/usr/sbin/nginx").exists())):
            print(f"{tool} is missing (Debian: apt-get install nginx-light wrk php-cli php-curl openssl gcc valgrind)",
                  file=sys.stderr)
            return 2
    only = set(args.only.split(",")) if args.only else None
    b = Bench(args.smoke, only)
    b.extra["pinned"] = not args.no_pin and len(os.sched_getaffinity(0)) > 1
    started, load_before = time.monotonic(), os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="spread-bench-"))
    atexit.register(shutil.rmtree, tmp, True)
    # SIGTERM (a CI timeout): stop the servers on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        b.start(tmp)
        for key, measure in SECTIONS:
            if b.wants(key):
                with b.pinned(key in LOOPBACK and b.extra["pinned"]):
                    measure(b)
    finally:
        stop_all()
    rows = sorted((*rows_php.rows(b), *rows_python.rows(b), *rows_c.rows(b), *rows_bulk.rows(b),
                   *rows_checkout.rows(b)), key=lambda r: r.id)
    table = render(rows, b, machine_header(b, started, load_before, os.getloadavg()))
    print(table, flush=True)
    write(b, rows, table, args.json, markdown=not b.smoke and only is None and not args.no_md and not args.no_pin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
