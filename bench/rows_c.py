"""libspread itself, through its C ABI (bench/c_send.c) and the Rust crate: the C API
against the one-request floor (wrk -c1) on loopback (rows 3a-3b), encoding the seed order
against PHP's http_build_query (4a-4c, criterion in a full run), and memory: RSS over
many sends and valgrind's memcheck (7a-7d)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from measure import ROOT, Bench, log
from report import Row, cell, fmt_num, fmt_time
from servers import die_with_parent

# Allocator noise: a page or two of malloc arena. Leaking even 1 byte per send would be ~100 KiB.
RSS_SLACK_KIB = 64


def measure_floor(b: Bench) -> None:
    for scheme in ("http", "https"):
        url, ca = b.url[(scheme, "lo")], str(b.ca) if scheme == "https" else "-"

        def c_seq(url: str = url, ca: str = ca) -> tuple[float, int]:
            n = b.n("c_seq")
            out = b.c("seq", url, ca, n, 10)
            return out["seconds"] / n, n + 10

        group = [b.add(f"c_api_{scheme}_lo", c_seq),
                 b.add(f"wrk_floor_{scheme}_lo", lambda url=url: b.wrk(url + "/updateOrder", b.n("wrk_seconds")))]
        b.measure(group, b.n("rounds_loopback"), f"3 C API vs floor, {scheme} loopback")


def measure_encode(b: Bench) -> None:
    php = b.add("php_http_build_query", lambda: b.php("seed_curl.php", {
        "mode": "http_build_query", "n": b.n("php_http_build_query"), "warmup": 0}))

    def c_encode() -> tuple[float, int]:
        n = b.n("c_encode")
        out = b.c("encode", "-", "-", n, 0)
        return out["seconds"] / n, 1

    cabi = b.add("c_abi_encode", c_encode)
    log("  4 encoding: PHP http_build_query and the C ABI")
    for s in (php, cabi):
        for _ in range(3):
            s.samples.append(s.run()[0])
    if b.smoke:
        return  # criterion takes a minute or two to build; make test runs it once (cargo test)
    log("  4 encoding: criterion (cargo bench --bench encode)")
    proc = subprocess.run(["cargo", "bench", "--bench", "encode", "--", "--noplot"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"cargo bench failed:\n{proc.stderr[-3000:]}")
    for name in ("encode_seed_order", "build_and_encode_seed_order"):
        est = json.loads((ROOT / "target" / "criterion" / name / "new" / "estimates.json").read_text())
        s = b.add(f"criterion_{name}", lambda: (0.0, 0))
        s.samples.append(est["median"]["point_estimate"] / 1e9)
        b.extra[f"criterion_{name}"] = est["median"]


def measure_memory(b: Bench) -> None:
    n1, n2 = b.n("rss")
    for scheme in ("http", "https"):
        url, ca = b.url[(scheme, "lo")], str(b.ca) if scheme == "https" else "-"
        log(f"  7 memory: RSS after {n1} and {n2} sends, {scheme}")
        out = b.c("rss", url, ca, n1, n2, timeout=900)
        b.extra[f"rss_{scheme}"] = out
    n = b.n("valgrind")
    for scheme in ("http", "https"):
        url, ca = b.url[(scheme, "lo")], str(b.ca) if scheme == "https" else "-"
        log(f"  7 memory: valgrind, {n} sends, {scheme}")
        b.extra[f"valgrind_{scheme}"] = valgrind(b.c_send, ["seq", url, ca, str(n), "0"], b.tmp, b.env)


def valgrind(program: Path, args: list[str], tmp: Path, env: dict) -> dict:
    """memcheck with a full leak check; the XML report is read for leaks (definite,
    indirect) and errors. Errors whose stack or origin lies in ring or rustls' ring
    provider (TLS only: uninitialised values from a stack buffer of
    rustls::crypto::ring::hash::Context::fork_finish) are counted apart and shown, not
    hidden; the rest must be zero."""
    import xml.etree.ElementTree as ET
    xml = tmp / "valgrind.xml"
    proc = subprocess.run(["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect", "--track-origins=yes",
                           "--errors-for-leak-kinds=definite,indirect", "--num-callers=40",
                           "--xml=yes", f"--xml-file={xml}", str(program), *args],
                          capture_output=True, text=True, timeout=900, env=env, preexec_fn=die_with_parent)
    if proc.returncode != 0:
        raise RuntimeError(f"valgrind {program.name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    root = ET.parse(xml).getroot()
    counts = {p.findtext("unique"): int(p.findtext("count")) for p in root.iter("pair")}
    out = {"sends": int(args[3]), "definitely_lost": 0, "indirectly_lost": 0, "errors": 0, "ring_errors": 0,
           "ring_error_kinds": []}
    for err in root.findall("error"):
        kind = err.findtext("kind") or ""
        if kind.startswith("Leak_"):
            leaked = int(err.findtext("xwhat/leakedbytes") or 0)
            if kind == "Leak_DefinitelyLost":
                out["definitely_lost"] += leaked
            elif kind == "Leak_IndirectlyLost":
                out["indirectly_lost"] += leaked
            continue
        fns = [f.findtext("fn") or "" for f in err.iter("frame")]
        n = counts.get(err.findtext("unique"), 1)
        # Frames of the error and of its origin (--track-origins): ring itself, or rustls'
        # ring provider (rustls::crypto::ring::...).
        if any(fn.startswith(("ring::", "ring_core_")) or "rustls::crypto::ring::" in fn for fn in fns):
            out["ring_errors"] += n
            out["ring_error_kinds"].append(f"{kind}: {fns[0]} ... origin {fns[-1]}")
        else:
            out["errors"] += n
    return out


def rows(b: Bench) -> list[Row]:
    rows: list[Row] = []
    S = b.series
    # Issue 24: <= 1.3x (stretch 1.15x).
    for rid, scheme, target in (("3a", "http", 1.3), ("3b", "https", None)):
        sf, sc = S.get(f"wrk_floor_{scheme}_lo"), S.get(f"c_api_{scheme}_lo")
        if sf and sc and sf.median and sc.median:
            ratio = sc.median / sf.median
            verdict = "info" if target is None else ("PASS" if ratio <= target else "MISS")
            rows.append(Row(rid, f"floor (wrk -c1, kept connection) vs C API, {scheme.upper()}, loopback",
                            cell(b, f"wrk_floor_{scheme}_lo"), cell(b, f"c_api_{scheme}_lo"), f"{ratio:.2f}x slower",
                            "-" if target is None else f"<= {fmt_num(target)}x", verdict))
    php = S.get("php_http_build_query")
    if php and php.median:
        crit = S.get("criterion_encode_seed_order")
        enc = crit if crit and crit.median else S["c_abi_encode"]
        how = "criterion, Order::encode()" if enc is crit else "smoke: C ABI loop, not criterion"
        rows.append(Row("4a", f"encode the seed order: PHP http_build_query -> libspread ({how})",
                        fmt_time(php.median), fmt_time(enc.median), f"{php.median / enc.median:.2f}x",
                        "<= 5 µs", "PASS" if enc.median <= 5e-6 else "MISS"))
        build = S.get("criterion_build_and_encode_seed_order")
        if build and build.median:
            rows.append(Row("4b", "  build + validate + encode (criterion) vs http_build_query",
                            fmt_time(php.median), fmt_time(build.median), f"{php.median / build.median:.2f}x", "-", "info"))
        rows.append(Row("4c", "  spread_order_encode() through the C ABI (body copied out)",
                        fmt_time(php.median), fmt_time(S["c_abi_encode"].median),
                        f"{php.median / S['c_abi_encode'].median:.2f}x", "-", "info"))
    for rid, scheme in (("7a", "http"), ("7b", "https")):
        rss = b.extra.get(f"rss_{scheme}")
        if rss:
            grow = rss["rss2_kib"] - rss["rss1_kib"]
            rows.append(Row(rid, f"RSS after {rss['n1']:,} -> {rss['n2']:,} sends, C, {scheme.upper()}, loopback",
                            f"{rss['rss1_kib']:,} KiB", f"{rss['rss2_kib']:,} KiB", f"{grow:+,} KiB",
                            f"flat (<= +{RSS_SLACK_KIB} KiB)", "PASS" if grow <= RSS_SLACK_KIB else "MISS"))
    for rid, scheme in (("7c", "http"), ("7d", "https")):
        vg = b.extra.get(f"valgrind_{scheme}")
        if vg:
            clean = vg["definitely_lost"] == 0 and vg["indirectly_lost"] == 0 and vg["errors"] == 0
            ring = f" (+{vg['ring_errors']} uninit. from ring hashing)" if vg["ring_errors"] else ""
            rows.append(Row(rid, f"valgrind memcheck, {vg['sends']} sends, C, {scheme.upper()}", "-",
                            f"lost {vg['definitely_lost']} B def. + {vg['indirectly_lost']} B ind.; "
                            f"{vg['errors']} errors{ring}", "-", "no leak, no error", "PASS" if clean else "MISS"))
    return rows
