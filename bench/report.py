"""The table: rows with their verdict against the targets, rendered as one text table
with the machine's description, the raw numbers as JSON, and bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from measure import BENCH, COUNTS, ROOT, Bench, log

def fmt_time(sec: float | None) -> str:
    if sec is None:
        return "-"
    if sec < 1e-3:
        us = sec * 1e6
        return f"{us:.2f} µs" if us < 10 else f"{us:.1f} µs" if us < 100 else f"{us:.0f} µs"
    if sec < 1:
        return f"{sec * 1e3:.2f} ms"
    if sec < 120:
        return f"{sec:.2f} s"
    return f"{sec / 60:.1f} min"


def fmt_num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass
class Row:
    id: str
    what: str
    baseline: str
    libspread: str
    ratio: str
    target: str
    verdict: str  # PASS, MISS, info, SKIP


def wire_counts(b: Bench, name: str) -> str:
    """nginx's " [requests, new connections]" per order for a series (medians over rounds)."""
    s = b.series.get(name)
    if s is None or not s.wire:
        return ""
    req, conn = statistics.median(w[0] for w in s.wire), statistics.median(w[1] for w in s.wire)
    return f" [{fmt_num(req)} req, {fmt_num(conn)} conn]"


def cell(b: Bench, name: str, wire: bool = True) -> str:
    """A series' median per order, with nginx's [requests, new connections] per order."""
    s = b.series.get(name)
    if s is None or s.skipped or s.median is None:
        return "-"
    return fmt_time(s.median) + (wire_counts(b, name) if wire else "")


def speedup(b: Bench, rid: str, what: str, base: str, cand: str, target: float | None,
            wire: bool = True) -> list[Row]:
    """The row comparing two series (ratio = base / cand; PASS when it reaches target);
    none when their section did not run, a SKIP row when one side was skipped."""
    sb, sc = b.series.get(base), b.series.get(cand)
    if sb is None or sc is None:
        return []  # section not run
    skipped = sb.skipped or sc.skipped
    if skipped or sb.median is None or sc.median is None:
        return [Row(rid, what, cell(b, base, wire), cell(b, cand, wire), "-", "-", f"SKIP: {skipped}")]
    ratio = sb.median / sc.median
    verdict = "info" if target is None else ("PASS" if ratio >= target else "MISS")
    return [Row(rid, what, cell(b, base, wire), cell(b, cand, wire), f"{ratio:.2f}x",
                "-" if target is None else f">= {fmt_num(target)}x", verdict)]


def render(rows: list[Row], b: Bench, header: list[str]) -> str:
    cols = ["#", "comparison", "baseline", "libspread", "ratio", "target", "result"]
    data = [[r.id, r.what, r.baseline, r.libspread, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(c), *(len(d[i]) for d in data)) if data else len(c) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [*header, "", line(cols), line(["-" * w for w in widths]), *map(line, data)]
    targets = [r for r in rows if r.verdict in ("PASS", "MISS")]
    passed = sum(r.verdict == "PASS" for r in targets)
    out += ["", f"targets: {passed}/{len(targets)} PASS" +
            (f", MISS: {', '.join(r.id for r in targets if r.verdict == 'MISS')}" if passed < len(targets) else "")]
    return "\n".join(out)


def machine_header(b: Bench, started: float, load_before: tuple, load_after: tuple) -> list[str]:
    def version(cmd: list[str], pattern: str) -> str:
        try:
            text = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            m = re.search(pattern, text.stdout + text.stderr)
            return m.group(1) if m else "?"
        except OSError:
            return "?"
    cpu = "?"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    rl, rli, rb = b.n("rounds_loopback"), b.n("rounds_link"), b.n("rounds_bulk")
    nginx = version(["nginx", "-v"], r"nginx/(\S+)")
    php = version(["php", "-v"], r"PHP (\S+)")
    curl = version(["curl", "--version"], r"libcurl/(\S+)")
    return [
        f"libspread benchmark{' (SMOKE: tiny counts, numbers not meaningful)' if b.smoke else ''}, "
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {time.monotonic() - started:.0f} s",
        f"machine: {cpu}, {os.cpu_count()} CPUs, load {load_before[0]:.2f} before / {load_after[0]:.2f} after; "
        f"nginx {nginx}, PHP {php}, libcurl {curl}, Python {platform.python_version()}",
        f"medians over rounds (loopback {rl}, 20 ms link {rli}, bulk {rb}), one process per side per round, sides "
        "alternating; times are per order;",
        "[req, conn] = HTTP requests and new connections per order as nginx counted them; "
        f"link RTT measured {b.extra.get('link_rtt_ms', 0):.1f} ms; "
        "ratio = baseline / libspread (3a-3b, 8c: libspread / floor);",
        "loopback rows (1-3): " + ("client and nginx's worker on one CPU (taskset-like pinning)"
                                   if b.extra.get("pinned") else "NOT pinned (--no-pin): the scheduler placed them"),
    ]


def git_commit() -> str:
    """The commit measured, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src", "Cargo.toml", "Cargo.lock"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return f"{head}{'+changes' if dirty else ''}" or "?"
    except OSError:
        return "?"



def write(b: Bench, rows: list[Row], table: str, json_path: Path | None, markdown: bool) -> None:
    """The raw numbers as JSON (json_path; by default bench/results/<time>.json, none for a
    smoke run) and, when markdown, the table as bench/RESULTS.md."""
    raw = {
        "smoke": b.smoke, "time": dt.datetime.now().isoformat(timespec="seconds"), "counts": {
            k: v[1 if b.smoke else 0] for k, v in COUNTS.items()},
        "series": {name: {"samples_s": s.samples, "median_s": s.median, "wire_per_order": s.wire, "skipped": s.skipped,
                          **({"calls_s": s.calls} if s.calls else {}), **({"runs": s.runs} if s.runs else {})}
                   for name, s in b.series.items()},
        "extra": b.extra, "rows": [r.__dict__ for r in rows],
    }
    out = json_path
    if out is None and not b.smoke:
        out = BENCH / "results" / f"bench-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(raw, indent=1))
        log(f"raw numbers: {out}")
    if markdown:
        (BENCH / "RESULTS.md").write_text(
            "# libspread benchmark: last full run\n\n"
            "Written by `make bench` (bench/run.py) at commit " + git_commit() + "; see [README.md](README.md) for what each row measures.\n\n"
            "```\n" + table + "\n```\n")
        log(f"table: {BENCH / 'RESULTS.md'}")
