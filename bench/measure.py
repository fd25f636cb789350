"""What every measurement shares: the counts (full and smoke), a Series (one side of a
comparison, one sample per round), and the Bench: the servers it measures against, the
drivers that run one side in its own process (PHP, Python, the C program, wrk), rounds
that alternate the sides, and nginx's count of requests and connections per order."""

from __future__ import annotations

import http.client
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LIBRARY = Path(os.environ.get("SPREAD_LIBRARY") or ROOT / "target" / "release" / "libspread.so").resolve()
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "c"))
from harness.seed import SEED_POST_DATA, php_http_build_query  # noqa: E402
from servers import DelayProxy, Nginx, die_with_parent, make_certs  # noqa: E402

BASIC = "Basic UFVCTElDX0tFWTpQUklWQVRFX0tFWQ=="
# Loopback rows run their client and nginx's worker on this one CPU (Bench.pinned): on a
# small VM a wake-up across CPUs costs 100-300 µs and lands at random, which would make
# a 40 µs request cost 35 or 290 µs from one process to the next.
PIN_CPU = 0

# Counts: (full, smoke). Per-order times are medians over rounds, each round one
# process per side (its start-up untimed), sides alternating within a round.
COUNTS = {
    "rounds_loopback": (7, 1),
    "rounds_link": (5, 1),
    "rounds_bulk": (3, 1),
    "seed_http": (400, 5),
    "seed_https": (150, 5),
    "binding": (1000, 10),
    "binding_per_client": (500, 10),
    "requests_post": (200, 5),
    "requests_session": (1000, 5),
    "py_binding": (1000, 10),
    "c_seq": (3000, 20),
    "wrk_seconds": (2, 1),
    "php_http_build_query": (200000, 1000),
    "c_encode": (200000, 1000),
    "link_seed": (12, 2),
    "link_binding": (30, 3),
    "link_cold": (5, 1),
    "bulk_c": (200, 16),
    "bulk_binding": (100, 16),
    "import_cli": (10000, 40),
    "import_seed": (200, 2),
    "flush_parallel": (2000, 40),
    "flush_sequential": (300, 10),
    "checkout_seed": (40, 3),
    "checkout_send": (100, 5),
    "checkout_enqueue": (200, 10),
    "rss": ((1000, 100000), (100, 1000)),
    "valgrind": (300, 10),
}

_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:5.0f}s] {msg}", file=sys.stderr, flush=True)


def child_setup(cpu: int | None) -> Callable[[], None]:
    """In a driver's process: die with the benchmark, and run on `cpu` when given."""
    def setup() -> None:
        die_with_parent()
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    return setup


def run_json(cmd: list[str], stdin: dict | None = None, timeout: float = 300, env: dict | None = None,
             cpu: int | None = None) -> dict:
    """Runs a driver; its last stdout line is JSON. Any failure stops the benchmark: a
    benchmark that times errors would lie."""
    proc = subprocess.run(cmd, input=json.dumps(stdin).encode() if stdin is not None else None,
                          capture_output=True, timeout=timeout, env=env, preexec_fn=child_setup(cpu))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stderr.decode(errors='replace')[-3000:]}{proc.stdout.decode(errors='replace')[-1000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


@dataclass
class Series:
    """One side of a comparison: per-order seconds, one sample per round."""
    name: str
    run: Callable[[], tuple[float, int]]  # -> (per-order seconds, orders sent incl. warm-up)
    samples: list[float] = field(default_factory=list)
    wire: list[tuple[float, float]] = field(default_factory=list)  # (requests, new connections) per order
    skipped: str | None = None
    calls: list[float] = field(default_factory=list)  # each call's seconds, all rounds (drivers that give them)
    runs: list[dict] = field(default_factory=list)  # the driver's own numbers, per round (when kept)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


class Bench:
    def __init__(self, smoke: bool, only: set[str] | None) -> None:
        self.smoke = smoke
        self.only = only
        self.series: dict[str, Series] = {}
        self.extra: dict[str, Any] = {}
        self.env = dict(os.environ, SPREAD_LIBRARY=str(LIBRARY))
        self.cpu: int | None = None  # the CPU drivers run on, while pinned

    def n(self, key: str) -> Any:
        return COUNTS[key][1 if self.smoke else 0]

    def wants(self, section: str) -> bool:
        return self.only is None or section in self.only

    def add(self, name: str, run: Callable[[], tuple[float, int]], skipped: str | None = None) -> Series:
        s = self.series[name] = Series(name, run, skipped=skipped)
        return s

    @contextmanager
    def pinned(self, on: bool) -> Iterator[None]:
        """While on (and with 2 CPUs or more): drivers and nginx's worker run on PIN_CPU."""
        if not on or len(os.sched_getaffinity(0)) < 2:
            yield
            return
        workers, everywhere = self.nginx.workers(), os.sched_getaffinity(0)
        for pid in workers:
            os.sched_setaffinity(pid, {PIN_CPU})
        self.cpu = PIN_CPU
        try:
            yield
        finally:
            self.cpu = None
            for pid in workers:
                os.sched_setaffinity(pid, everywhere)

    def measure(self, group: list[Series], rounds: int, label: str) -> None:
        """Each round runs every series once, in an order rotated per round (drift in the
        machine's load then hits every side alike)."""
        group = [s for s in group if s.skipped is None]
        for r in range(rounds):
            log(f"  {label}: round {r + 1}/{rounds}")
            order = group[r % len(group):] + group[:r % len(group)]
            for s in order:
                before = self.nginx.counters()
                per_order, orders = s.run()
                after = self.nginx.counters()
                s.samples.append(per_order)
                # minus the second stub_status request and its connection
                s.wire.append(((after[1] - before[1] - 1) / orders, (after[0] - before[0] - 1) / orders))

    # -- drivers
    def php(self, script: str, cfg: dict, keep: str | None = None, env: dict | None = None) -> tuple[float, int]:
        """Runs a PHP driver (env: variables to set for it); with keep, the series of that
        name also keeps each call's time ("calls") and the driver's other numbers."""
        out = run_json(["php", str(BENCH / script)], {"post_data": SEED_POST_DATA, **cfg}, env={**self.env, **(env or {})},
                       cpu=self.cpu)
        if keep is not None:
            self.series[keep].calls += out.pop("calls")
            self.series[keep].runs.append(out)
        return out["seconds"] / out["n"], cfg["n"] + cfg.get("warmup", 0 if cfg.get("mode") == "many" else 1)

    def py(self, script: str, cfg: dict) -> tuple[float, int]:
        out = run_json([sys.executable, str(BENCH / script)], cfg, env=self.env, cpu=self.cpu)
        return out["seconds"] / out["n"], cfg["n"] + cfg.get("warmup", 0 if cfg.get("mode") == "many" else 1)

    def c(self, *args: Any, timeout: float = 300, prefix: list[str] | None = None) -> dict:
        return run_json([*(prefix or []), str(self.c_send), *map(str, args)], timeout=timeout, env=self.env,
                        cpu=self.cpu)

    def wrk(self, url: str, seconds: int) -> tuple[float, int]:
        proc = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(self.wrk_lua), url],
                              capture_output=True, text=True, timeout=seconds + 60, preexec_fn=child_setup(self.cpu))
        found = re.search(r"^JSON (\{.*\})$", proc.stdout, re.M)
        if proc.returncode != 0 or not found:
            raise RuntimeError(f"wrk failed: {proc.stdout}{proc.stderr}")
        out = json.loads(found.group(1))
        if out["non2xx"] or out["errors"] or not out["requests"]:
            raise RuntimeError(f"wrk met errors: {out}\n{proc.stdout}")
        return out["duration_us"] / 1e6 / out["requests"], out["requests"]

    # -- setup
    def start(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ca, cert, key = make_certs(tmp)
        self.nginx = Nginx(tmp, cert, key)
        self.proxy = DelayProxy([self.nginx.http_port, self.nginx.https_port])
        self.url = {
            ("http", "lo"): f"http://127.0.0.1:{self.nginx.http_port}/api",
            ("https", "lo"): f"https://127.0.0.1:{self.nginx.https_port}/api",
            ("http", "link"): f"http://127.0.0.1:{self.proxy.ports[self.nginx.http_port]}/api",
            ("https", "link"): f"https://127.0.0.1:{self.proxy.ports[self.nginx.https_port]}/api",
        }
        self.extra["ports"] = {"nginx_http": self.nginx.http_port, "nginx_https": self.nginx.https_port,
                               **{f"link_{k}": v for k, v in self.proxy.ports.items()}}
        self.c_send = self.compile_c()
        body = php_http_build_query(SEED_POST_DATA)
        assert len(body) == 1436, len(body)
        self.wrk_lua = tmp / "post.lua"
        self.wrk_lua.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body.decode())}\n"
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.headers["Authorization"] = "{BASIC}"\n'
            "done = function(summary, latency, requests)\n"
            '  local e = summary.errors\n'
            '  io.write(string.format("JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"non2xx\\": %d, \\"errors\\": %d}\\n",\n'
            "    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))\n"
            "end\n")
        self.preflight()

    def compile_c(self) -> Path:
        from cbuild import ensure_soname_link
        ensure_soname_link(LIBRARY)
        out = self.tmp / "c_send"
        subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
                        f"-I{ROOT / 'include'}", str(BENCH / "c_send.c"), "-o", str(out),
                        f"-L{LIBRARY.parent}", f"-l:{LIBRARY.name}", f"-Wl,-rpath,{LIBRARY.parent}"],
                       check=True)
        return out

    def preflight(self) -> None:
        """The server really checks the keys (no key, a wrong key: 401), answers 200 to the
        right ones over HTTP and verified HTTPS, and the link has the round trip it should."""
        def post(port: int, auth: str | None, tls: bool = False) -> tuple[int, str]:
            if tls:
                ctx = ssl.create_default_context(cafile=str(self.ca))
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            else:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if auth:
                headers["Authorization"] = auth
            c.request("POST", "/api/updateOrder", body=b"data%5Ba%5D=1", headers=headers)
            r = c.getresponse()
            out = (r.status, r.getheader("WWW-Authenticate") or r.read().decode())
            c.close()
            return out

        wrong = "Basic UFVCTElDX0tFWTpXUk9ORw=="  # PUBLIC_KEY:WRONG
        h, s = self.nginx.http_port, self.nginx.https_port
        checks = {
            "http, no key": (post(h, None), 401), "http, wrong key": (post(h, wrong), 401),
            "http, right key": (post(h, BASIC), 200), "https, wrong key": (post(s, wrong, True), 401),
            "https, right key": (post(s, BASIC, True), 200),
        }
        for what, ((status, detail), want) in checks.items():
            if status != want:
                raise RuntimeError(f"preflight: {what}: HTTP {status}, expected {want} ({detail})")
        if not checks["http, no key"][0][1].startswith("Basic"):
            raise RuntimeError(f"preflight: the 401 asks for {checks['http, no key'][0][1]!r}, not Basic")
        # The link: a new connection's first request, then one on the kept connection.
        c = http.client.HTTPConnection("127.0.0.1", self.proxy.ports[h], timeout=10)
        times = []
        for _ in range(4):
            t0 = time.perf_counter()
            c.request("GET", "/nginx_status")
            c.getresponse().read()
            times.append(time.perf_counter() - t0)
        c.close()
        self.extra["link_rtt_ms"] = statistics.median(times[1:]) * 1e3
        self.extra["link_first_request_ms"] = times[0] * 1e3
        log(f"preflight: nginx on 127.0.0.1:{h} (http) and :{s} (https, test CA, ECDSA P-256); "
            "auth checked (no key 401, wrong key 401, right key 200); "
            f"link: {self.extra['link_rtt_ms']:.1f} ms per round trip, "
            f"{self.extra['link_first_request_ms']:.1f} ms for a new connection's first request")
        self.extra["preflight"] = {k: v[0][0] for k, v in checks.items()}

