"""Many orders at once over the 20 ms HTTPS link: a sequential loop against
send_many(8), from C (bench/c_send.c), PHP and Python (rows 6a-6c); a bulk import with
the `spread` command (`spread send FILE.jsonl --concurrency 16`) against the seed's curl
block in a PHP loop (row 6d)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from measure import LIBRARY, ROOT, SEED_POST_DATA, Bench, log
from report import Row, fmt_num, fmt_time, speedup, wire_counts
from servers import PRIVATE_KEY, PUBLIC_KEY, die_with_parent

# The command built with the library measured (SPREAD_CLI to choose another).
SPREAD_CLI = Path(os.environ.get("SPREAD_CLI") or LIBRARY.parent / "spread")
IMPORT_CONCURRENCY = 16


def measure(b: Bench) -> None:
    url, ca = b.url[("https", "link")], str(b.ca)

    def c_bulk(conc: int) -> Callable[[], tuple[float, int]]:
        def run() -> tuple[float, int]:
            n = b.n("bulk_c")
            out = b.c("bulk", url, ca, n, conc)
            return out["seconds"] / n, n
        return run

    b.measure([b.add("c_bulk_seq_https_link", c_bulk(0)), b.add("c_bulk_many8_https_link", c_bulk(8))],
              b.n("rounds_bulk"), "6 bulk, C, https over the 20 ms link")
    php_has = subprocess.run(["php", "-r", f"require '{ROOT}/bindings/php/autoload.php';"
                              "exit(method_exists('Spread\\Client', 'sendMany') ? 0 : 1);"],
                             capture_output=True).returncode == 0
    measure_binding(b, "php", "PHP", lambda cfg: b.php("binding.php", cfg),
                    None if php_has else "no Client::sendMany() in the PHP binding")
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    try:
        import spread
        py_has = hasattr(spread.Client, "send_many")
    except Exception:  # noqa: BLE001 - a broken binding shows in its own rows
        py_has = False
    measure_binding(b, "py", "Python", lambda cfg: b.py("py_binding.py", cfg),
                    None if py_has else "no Client.send_many() in the Python binding")
    measure_import(b)
    measure_flush(b)


def measure_binding(b: Bench, key: str, language: str, driver: Callable[[dict], tuple[float, int]],
                    skipped: str | None) -> None:
    """A binding's loop of single sends against its send_many(8), same orders, same link."""
    cfg = {"base_url": b.url[("https", "link")], "ca_file": str(b.ca), "n": b.n("bulk_binding")}
    b.measure([
        b.add(f"{key}_bulk_seq_https_link", lambda: driver({**cfg, "warmup": 0, "mode": "reuse"}), skipped=skipped),
        b.add(f"{key}_bulk_many8_https_link", lambda: driver({**cfg, "mode": "many", "concurrency": 8}),
              skipped=skipped),
    ], b.n("rounds_bulk"), f"6 bulk, {language}, https over the 20 ms link")


def measure_import(b: Bench) -> None:
    """`spread send` of import_cli orders (the seed's $post_data as JSON lines, order ids
    1..n) against the seed's curl block in a loop over a sample of import_seed orders: a
    sequential seed import of the whole file would take minutes per round, and its rate
    does not depend on the count (one new connection per order, nothing shared)."""
    url, ca, n = b.url[("https", "link")], str(b.ca), b.n("import_cli")
    jsonl = b.tmp / "import.jsonl"
    with jsonl.open("w") as f:
        for i in range(n):
            post_data = copy.deepcopy(SEED_POST_DATA)
            post_data["data"]["order_idorder"] = post_data["request"]["order_idorder"] = f"{i + 1:07d}"
            f.write(json.dumps(post_data, ensure_ascii=False, separators=(",", ":")) + "\n")
    env = {**b.env, "SPREAD_PUBLIC_KEY": PUBLIC_KEY, "SPREAD_PRIVATE_KEY": PRIVATE_KEY}
    for var in ("SPREAD_SPOOL", "SPREAD_BASE_URL", "SPREAD_PROXY"):
        env.pop(var, None)

    def cli() -> tuple[float, int]:
        # The whole command, start-up and reading the file included, as its user waits for it.
        cmd = [str(SPREAD_CLI), "send", str(jsonl), "--concurrency", str(IMPORT_CONCURRENCY),
               "--base-url", url, "--ca-file", ca]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, preexec_fn=die_with_parent)
        seconds = time.perf_counter() - t0
        summary = re.search(r"^(\d+) lines in .*: (\d+) delivered, (\d+) queued, (\d+) failed, (\d+) invalid, (\d+) warnings$",
                            proc.stdout, re.M)
        if proc.returncode != 0 or not summary or summary.groups()[:2] != (str(n), str(n)):
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}, not every order delivered:\n"
                               f"{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
        b.series["import_cli"].runs.append({"n": n, "seconds": seconds, "summary": summary.group(0)})
        return seconds / n, n

    skipped = None if SPREAD_CLI.exists() else f"{SPREAD_CLI} is missing (make build: cargo build --release --features cli)"
    group = [
        b.add("import_seed", lambda: b.php("seed_curl.php", {
            "url": url + "/updateOrder", "userpwd": f"{PUBLIC_KEY}:{PRIVATE_KEY}", "cainfo": ca,
            "n": b.n("import_seed"), "warmup": 1}, keep="import_seed")),
        b.add("import_cli", cli, skipped=skipped),
    ]
    log(f"  6 bulk import: {n} orders in {jsonl.name}")
    b.measure(group, b.n("rounds_bulk"), "6 bulk import, spread send vs a PHP seed loop, https over the 20 ms link")


def spooled(b: Bench, n: int, dead: str) -> Path:
    """A spool folder holding `n` of the seed's orders (ids 1..n), spooled for the base URL
    `dead` (nothing listens there: every send is queued); a round copies it and adopts
    the copy's entries for the link's URL (`spread spool adopt`, outside the timing)."""
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    import spread
    folder = b.tmp / f"spool-template-{n}"
    if folder.exists():
        return folder
    with spread.Client(PUBLIC_KEY, PRIVATE_KEY, base_url=dead, spool_dir=str(folder), max_attempts=1,
                       timeout=2) as client:
        for i in range(n):
            post_data = copy.deepcopy(SEED_POST_DATA)
            post_data["data"]["order_idorder"] = post_data["request"]["order_idorder"] = f"{i + 1:07d}"
            if not client.update_order(post_data).queued:
                raise RuntimeError(f"{dead} answered: the template spool needs every send queued")
    return folder


def measure_flush(b: Bench) -> None:
    """`spread flush` of a spool full of orders over the 20 ms HTTPS link: in parallel (the
    default, 8 orders of different ids in flight) against one order at a time
    (`--concurrency 1`: one round trip per order, as every flush did before). The
    sequential side flushes a smaller spool (its rate does not depend on the count)."""
    url, ca = b.url[("https", "link")], str(b.ca)
    dead = "http://127.0.0.1:9/api"  # discard: nothing listens, a connection is refused at once
    env = {**b.env, "SPREAD_PUBLIC_KEY": PUBLIC_KEY, "SPREAD_PRIVATE_KEY": PRIVATE_KEY}
    for var in ("SPREAD_SPOOL", "SPREAD_BASE_URL", "SPREAD_PROXY"):
        env.pop(var, None)

    def flush(key: str, concurrency: int) -> Callable[[], tuple[float, int]]:
        def run() -> tuple[float, int]:
            n = b.n(key)
            folder = b.tmp / f"spool-{key}-{time.monotonic_ns()}"
            subprocess.run(["cp", "-a", str(spooled(b, n, dead)), str(folder)], check=True)
            adopt = subprocess.run([str(SPREAD_CLI), "spool", "adopt", "--spool", str(folder), "--from-base-url", dead,
                                    "--base-url", url], capture_output=True, text=True, env=env, timeout=120)
            if adopt.returncode != 0:
                raise RuntimeError(f"spread spool adopt failed: {adopt.stderr[-2000:]}")
            cmd = [str(SPREAD_CLI), "flush", "--spool", str(folder), "--base-url", url, "--ca-file", ca,
                   "--concurrency", str(concurrency)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env,
                                  preexec_fn=die_with_parent)
            seconds = time.perf_counter() - t0
            if proc.returncode != 0 or f"delivered {n}, rejected 0, remaining 0" not in proc.stdout:
                raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}, not every order delivered:\n"
                                   f"{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
            subprocess.run(["rm", "-rf", str(folder)], check=False)
            return seconds / n, n
        return run

    skipped = None if SPREAD_CLI.exists() else f"{SPREAD_CLI} is missing (make build: cargo build --release --features cli)"
    group = [b.add("flush_sequential", flush("flush_sequential", 1), skipped=skipped),
             b.add("flush_parallel", flush("flush_parallel", 8), skipped=skipped)]
    log(f"  6 spread flush: {b.n('flush_parallel')} spooled orders, in parallel and one at a time")
    b.measure(group, b.n("rounds_bulk"), "6 spread flush, https over the 20 ms link")


def rows(b: Bench) -> list[Row]:
    bn, bb = b.n("bulk_c"), b.n("bulk_binding")
    return [
        *speedup(b, "6a", f"bulk {bn} orders, C: sequential -> send_many(8), HTTPS, 20 ms", "c_bulk_seq_https_link",
                 "c_bulk_many8_https_link", 6, wire=False),
        *speedup(b, "6b", f"  PHP, {bb} orders: updateOrder loop -> sendMany(8)", "php_bulk_seq_https_link",
                 "php_bulk_many8_https_link", None, wire=False),
        *speedup(b, "6c", f"  Python, {bb} orders: update_order loop -> send_many(8)", "py_bulk_seq_https_link",
                 "py_bulk_many8_https_link", None, wire=False),
        *import_row(b),
        *speedup(b, "6e", f"spread flush of {b.n('flush_parallel'):,} spooled, HTTPS, 20 ms: one at a time "
                 f"({b.n('flush_sequential')}-order sample) -> 8 in flight (the default)", "flush_sequential",
                 "flush_parallel", 5),
    ]


def import_row(b: Bench) -> list[Row]:
    """Row 6d in orders/s: the seed loop's rate, measured on its sample, against the command's."""
    n, sample = b.n("import_cli"), b.n("import_seed")
    rows = speedup(b, "6d", f"bulk import {n:,} orders, HTTPS, 20 ms: PHP seed loop ({sample}-order sample, "
                   f"extrapolated) -> spread send -c{IMPORT_CONCURRENCY}", "import_seed", "import_cli", None)
    if not rows or rows[0].verdict.startswith("SKIP"):
        return rows
    seed, cli = b.series["import_seed"], b.series["import_cli"]
    row = rows[0]
    row.baseline = f"{fmt_num(1 / seed.median)}/s: {n:,} in ~{fmt_time(seed.median * n)}{wire_counts(b, 'import_seed')}"
    row.libspread = f"{fmt_num(1 / cli.median)}/s: {n:,} in {fmt_time(cli.median * n)}{wire_counts(b, 'import_cli')}"
    return rows
