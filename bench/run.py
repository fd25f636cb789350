#!/usr/bin/env python3
"""`make bench`: libspread against what shops do today, on one machine, in one run.

Starts its own servers on 127.0.0.1 (nginx with HTTP Basic auth and a static
answer, over HTTP and over HTTPS with a test CA made now; a TCP proxy that
turns loopback into a 20 ms round-trip link), runs every side of every
comparison in alternation for several rounds, and prints ONE table of medians
and ratios, with PASS/MISS against the targets of issue 6. The machine is
shared and noisy: the ratios are the result, not the absolute times.

    python3 bench/run.py            # the full run (a few minutes); writes bench/RESULTS.md
    python3 bench/run.py --smoke    # tiny counts, ~30 s: checks that everything runs

Raw numbers go to bench/results/ as JSON (--json PATH to choose). Needs:
target/release/libspread.so (make build), nginx (nginx-light), wrk, php
(php-cli, php-curl), openssl, cc, valgrind, cargo; Python's `requests` for
the Python rows (skipped without it).
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LIBRARY = Path(os.environ.get("SPREAD_LIBRARY") or ROOT / "target" / "release" / "libspread.so").resolve()
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "c"))
from harness.seed import SEED_POST_DATA, php_http_build_query  # noqa: E402

PUBLIC_KEY, PRIVATE_KEY = "PUBLIC_KEY", "PRIVATE_KEY"
BASIC = "Basic UFVCTElDX0tFWTpQUklWQVRFX0tFWQ=="
ONE_WAY_DELAY_MS = 10.0  # a 20 ms round trip

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
    "rss": ((1000, 100000), (100, 1000)),
    "valgrind": (300, 10),
}



# ----------------------------------------------------------------------------- processes

_children: list[subprocess.Popen] = []
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the benchmark dies, however it dies (PR_SET_PDEATHSIG)."""
    _libc.prctl(1, signal.SIGTERM)


def spawn(cmd: list[str], **kw: Any) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream:
            stream.close()


def stop_all() -> None:
    while _children:
        stop(_children.pop())


atexit.register(stop_all)


_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:5.0f}s] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def run_json(cmd: list[str], stdin: dict | None = None, timeout: float = 300, env: dict | None = None) -> dict:
    """Runs a driver; its last stdout line is JSON. Any failure stops the benchmark: a
    benchmark that times errors would lie."""
    proc = subprocess.run(cmd, input=json.dumps(stdin).encode() if stdin is not None else None,
                          capture_output=True, timeout=timeout, env=env, preexec_fn=_die_with_parent)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stderr.decode(errors='replace')[-3000:]}{proc.stdout.decode(errors='replace')[-1000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


# ----------------------------------------------------------------------------- servers

def make_certs(tmp: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1/localhost, ECDSA P-256 (the
    default key type of Let's Encrypt's certbot; a cheap handshake, which makes the
    seed's per-order handshake cheap too: conservative for the ratios)."""
    ca_key, ca, key, csr, cert, ext = (tmp / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "ext.cnf"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    quiet = {"check": True, "capture_output": True}
    subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
                    "-subj", "/CN=libspread bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    subprocess.run(["openssl", "req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost"], **quiet)
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
                    "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext)], **quiet)
    return ca, cert, key


NGINX_CONF = """\
{user}
worker_processes 1;
error_log {tmp}/nginx-error.log crit;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body; proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi; uwsgi_temp_path {tmp}/nginx-uwsgi; scgi_temp_path {tmp}/nginx-scgi;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;  # nginx 1.22's default stops at TLS 1.2 (2 round trips)
        # SPREAD's updateOrder: HTTP Basic with the sandbox keys, then a short JSON answer.
        # nginx's `return` would answer before auth_basic runs, so the answer is a static
        # file; POST to a static file is a 405, which error_page turns into the 200 answer
        # (the named location keeps the method; auth has run by then: a bad key is a 401).
        location = /api/updateOrder {{
            auth_basic "SPREAD";
            auth_basic_user_file {tmp}/htpasswd;
            alias {tmp}/ok.json;
            error_page 405 =200 @ok;
        }}
        location @ok {{
            default_type application/json;
            return 200 '{{"status":"ok","message":"order updated"}}';
        }}
        location = /nginx_status {{ stub_status; }}
    }}
}}
"""


class Nginx:
    def __init__(self, tmp: Path, cert: Path, key: Path) -> None:
        self.tmp = tmp
        (tmp / "htpasswd").write_text(f"{PUBLIC_KEY}:{{PLAIN}}{PRIVATE_KEY}\n")
        (tmp / "ok.json").write_text('{"status":"ok"}\n')
        for attempt in range(5):
            self.http_port, self.https_port = free_port(), free_port()
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(
                user="user root;" if os.geteuid() == 0 else "", tmp=tmp, cert=cert, key=key,
                http_port=self.http_port, https_port=self.https_port))
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            self.proc = spawn([nginx, "-c", str(conf), "-p", str(tmp), "-g", f"daemon off; pid {tmp}/nginx.pid;"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                wait_port(self.http_port, self.proc, "nginx")
                wait_port(self.https_port, self.proc, "nginx")
                return
            except RuntimeError:
                stop(self.proc)
                if attempt == 4:
                    err = (tmp / "nginx-error.log").read_text() if (tmp / "nginx-error.log").exists() else ""
                    raise RuntimeError(f"nginx did not start: {err}")

    def counters(self) -> tuple[int, int]:
        """(connections accepted, requests) so far, from stub_status (this request included)."""
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        c.request("GET", "/nginx_status")
        text = c.getresponse().read().decode()
        c.close()
        accepts, _handled, requests = map(int, re.search(r"\n\s*(\d+) (\d+) (\d+)", text).groups())
        return accepts, requests


class DelayProxy:
    def __init__(self, upstreams: list[int]) -> None:
        self.proc = spawn([sys.executable, str(BENCH / "delay_proxy.py"), "--delay-ms", str(ONE_WAY_DELAY_MS),
                           *map(str, upstreams)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the delay proxy did not start")
        self.ports = {int(k): v for k, v in json.loads(line).items()}


# ----------------------------------------------------------------------------- measurements

@dataclass
class Series:
    """One side of a comparison: per-order seconds, one sample per round."""
    name: str
    run: Callable[[], tuple[float, int]]  # -> (per-order seconds, orders sent incl. warm-up)
    samples: list[float] = field(default_factory=list)
    wire: list[tuple[float, float]] = field(default_factory=list)  # (requests, new connections) per order
    skipped: str | None = None

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

    def n(self, key: str) -> Any:
        return COUNTS[key][1 if self.smoke else 0]

    def wants(self, section: str) -> bool:
        return self.only is None or section in self.only

    def add(self, name: str, run: Callable[[], tuple[float, int]], skipped: str | None = None) -> Series:
        s = self.series[name] = Series(name, run, skipped=skipped)
        return s

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
    def php(self, script: str, cfg: dict) -> tuple[float, int]:
        out = run_json(["php", str(BENCH / script)], {"post_data": SEED_POST_DATA, **cfg}, env=self.env)
        return out["seconds"] / out["n"], cfg["n"] + cfg.get("warmup", 0 if cfg.get("mode") == "many" else 1)

    def py(self, script: str, cfg: dict) -> tuple[float, int]:
        out = run_json([sys.executable, str(BENCH / script)], cfg, env=self.env)
        return out["seconds"] / out["n"], cfg["n"] + cfg.get("warmup", 0 if cfg.get("mode") == "many" else 1)

    def c(self, *args: Any, timeout: float = 300, prefix: list[str] | None = None) -> dict:
        return run_json([*(prefix or []), str(self.c_send), *map(str, args)], timeout=timeout, env=self.env)

    def wrk(self, url: str, seconds: int) -> tuple[float, int]:
        proc = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(self.wrk_lua), url],
                              capture_output=True, text=True, timeout=seconds + 60, preexec_fn=_die_with_parent)
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

    # -- sections
    def section_loopback_php(self) -> None:
        for scheme in ("https", "http"):
            url, ca = self.url[(scheme, "lo")], str(self.ca) if scheme == "https" else None
            seed = self.add(f"php_seed_{scheme}_lo", lambda url=url, ca=ca, scheme=scheme: self.php("seed_curl.php", {
                "url": url + "/updateOrder", "userpwd": f"{PUBLIC_KEY}:{PRIVATE_KEY}", "cainfo": ca,
                "n": self.n(f"seed_{scheme}"), "warmup": 1}))
            group = [seed, self.add(f"php_binding_{scheme}_lo", lambda url=url, ca=ca: self.php("binding.php", {
                "base_url": url, "ca_file": ca, "n": self.n("binding"), "warmup": 1, "mode": "reuse"}))]
            if scheme == "https":
                group.append(self.add("php_binding_per_client_https_lo", lambda url=url, ca=ca: self.php("binding.php", {
                    "base_url": url, "ca_file": ca, "n": self.n("binding_per_client"), "warmup": 1,
                    "mode": "per_order_client"})))
            self.measure(group, self.n("rounds_loopback"), f"1 PHP {scheme} loopback")

    def section_python(self) -> None:
        try:
            import requests  # noqa: F401
            missing = None
        except ImportError:
            missing = "requests is not installed (pip install requests)"
        for scheme in ("http", "https"):
            url, ca = self.url[(scheme, "lo")], str(self.ca) if scheme == "https" else None
            group = [
                self.add(f"py_requests_post_{scheme}_lo", lambda url=url, ca=ca: self.py("py_requests.py", {
                    "url": url + "/updateOrder", "ca_file": ca, "n": self.n("requests_post"), "warmup": 1,
                    "mode": "post"}), skipped=missing),
                self.add(f"py_binding_{scheme}_lo", lambda url=url, ca=ca: self.py("py_binding.py", {
                    "base_url": url, "ca_file": ca, "n": self.n("py_binding"), "warmup": 1, "mode": "reuse"})),
            ]
            if scheme == "http":
                group.append(self.add("py_requests_session_http_lo", lambda url=url: self.py("py_requests.py", {
                    "url": url + "/updateOrder", "n": self.n("requests_session"), "warmup": 1,
                    "mode": "session"}), skipped=missing))
            self.measure(group, self.n("rounds_loopback"), f"2 Python {scheme} loopback")

    def section_floor(self) -> None:
        for scheme in ("http", "https"):
            url, ca = self.url[(scheme, "lo")], str(self.ca) if scheme == "https" else "-"

            def c_seq(url: str = url, ca: str = ca) -> tuple[float, int]:
                n = self.n("c_seq")
                out = self.c("seq", url, ca, n, 10)
                return out["seconds"] / n, n + 10

            group = [self.add(f"c_api_{scheme}_lo", c_seq),
                     self.add(f"wrk_floor_{scheme}_lo", lambda url=url: self.wrk(url + "/updateOrder", self.n("wrk_seconds")))]
            self.measure(group, self.n("rounds_loopback"), f"3 C API vs floor, {scheme} loopback")

    def section_encode(self) -> None:
        php = self.add("php_http_build_query", lambda: self.php("seed_curl.php", {
            "mode": "http_build_query", "n": self.n("php_http_build_query"), "warmup": 0}))

        def c_encode() -> tuple[float, int]:
            n = self.n("c_encode")
            out = self.c("encode", "-", "-", n, 0)
            return out["seconds"] / n, 1

        cabi = self.add("c_abi_encode", c_encode)
        log("  4 encoding: PHP http_build_query and the C ABI")
        for s in (php, cabi):
            for _ in range(3):
                s.samples.append(s.run()[0])
        if self.smoke:
            return  # criterion takes a minute or two to build; make test runs it once (cargo test)
        log("  4 encoding: criterion (cargo bench --bench encode)")
        proc = subprocess.run(["cargo", "bench", "--bench", "encode", "--", "--noplot"], cwd=ROOT,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"cargo bench failed:\n{proc.stderr[-3000:]}")
        for name in ("encode_seed_order", "build_and_encode_seed_order"):
            est = json.loads((ROOT / "target" / "criterion" / name / "new" / "estimates.json").read_text())
            s = self.add(f"criterion_{name}", lambda: (0.0, 0))
            s.samples.append(est["median"]["point_estimate"] / 1e9)
            self.extra[f"criterion_{name}"] = est["median"]

    def section_link(self) -> None:
        for scheme in ("http", "https"):
            url, ca = self.url[(scheme, "link")], str(self.ca) if scheme == "https" else None

            def cold(url: str = url, ca: str | None = ca) -> tuple[float, int]:
                # A new process per order: no kept connection (a shop whose orders are
                # further apart than the server's keep-alive timeout).
                n = self.n("link_cold")
                total = sum(self.php("binding.php", {"base_url": url, "ca_file": ca, "n": 1, "warmup": 0,
                                                     "mode": "reuse"})[0] for _ in range(n))
                return total / n, n

            group = [
                self.add(f"php_seed_{scheme}_link", lambda url=url, ca=ca: self.php("seed_curl.php", {
                    "url": url + "/updateOrder", "userpwd": f"{PUBLIC_KEY}:{PRIVATE_KEY}", "cainfo": ca,
                    "n": self.n("link_seed"), "warmup": 1})),
                self.add(f"php_binding_{scheme}_link", lambda url=url, ca=ca: self.php("binding.php", {
                    "base_url": url, "ca_file": ca, "n": self.n("link_binding"), "warmup": 1, "mode": "reuse"})),
                self.add(f"php_binding_cold_{scheme}_link", cold),
            ]
            self.measure(group, self.n("rounds_link"), f"5 PHP {scheme} over the 20 ms link")

    def section_bulk(self) -> None:
        url, ca = self.url[("https", "link")], str(self.ca)

        def c_bulk(conc: int) -> Callable[[], tuple[float, int]]:
            def run() -> tuple[float, int]:
                n = self.n("bulk_c")
                out = self.c("bulk", url, ca, n, conc)
                return out["seconds"] / n, n
            return run

        self.measure([self.add("c_bulk_seq_https_link", c_bulk(0)), self.add("c_bulk_many8_https_link", c_bulk(8))],
                     self.n("rounds_bulk"), "6 bulk, C, https over the 20 ms link")
        php_has = subprocess.run(["php", "-r", f"require '{ROOT}/bindings/php/autoload.php';"
                                  "exit(method_exists('Spread\\Client', 'sendMany') ? 0 : 1);"],
                                 capture_output=True).returncode == 0
        n = self.n("bulk_binding")
        self.measure([
            self.add("php_bulk_seq_https_link", lambda: self.php("binding.php", {
                "base_url": url, "ca_file": ca, "n": n, "warmup": 0, "mode": "reuse"}),
                skipped=None if php_has else "no Client::sendMany() in the PHP binding"),
            self.add("php_bulk_many8_https_link", lambda: self.php("binding.php", {
                "base_url": url, "ca_file": ca, "n": n, "mode": "many", "concurrency": 8}),
                skipped=None if php_has else "no Client::sendMany() in the PHP binding"),
        ], self.n("rounds_bulk"), "6 bulk, PHP, https over the 20 ms link")
        sys.path.insert(0, str(ROOT / "bindings" / "python"))
        try:
            import spread
            py_has = hasattr(spread.Client, "send_many")
        except Exception:  # noqa: BLE001 - a broken binding shows in its own rows
            py_has = False
        self.measure([
            self.add("py_bulk_seq_https_link", lambda: self.py("py_binding.py", {
                "base_url": url, "ca_file": ca, "n": n, "warmup": 0, "mode": "reuse"}),
                skipped=None if py_has else "no Client.send_many() in the Python binding"),
            self.add("py_bulk_many8_https_link", lambda: self.py("py_binding.py", {
                "base_url": url, "ca_file": ca, "n": n, "mode": "many", "concurrency": 8}),
                skipped=None if py_has else "no Client.send_many() in the Python binding"),
        ], self.n("rounds_bulk"), "6 bulk, Python, https over the 20 ms link")

    def section_memory(self) -> None:
        n1, n2 = self.n("rss")
        for scheme in ("http", "https"):
            url, ca = self.url[(scheme, "lo")], str(self.ca) if scheme == "https" else "-"
            log(f"  7 memory: RSS after {n1} and {n2} sends, {scheme}")
            out = self.c("rss", url, ca, n1, n2, timeout=900)
            self.extra[f"rss_{scheme}"] = out
        n = self.n("valgrind")
        for scheme in ("http", "https"):
            url, ca = self.url[(scheme, "lo")], str(self.ca) if scheme == "https" else "-"
            log(f"  7 memory: valgrind, {n} sends, {scheme}")
            self.extra[f"valgrind_{scheme}"] = valgrind(self.c_send, ["seq", url, ca, str(n), "0"], self.tmp, self.env)


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
                          capture_output=True, text=True, timeout=900, env=env, preexec_fn=_die_with_parent)
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


# ----------------------------------------------------------------------------- the table

def fmt_time(sec: float | None) -> str:
    if sec is None:
        return "-"
    if sec < 1e-3:
        us = sec * 1e6
        return f"{us:.2f} µs" if us < 10 else f"{us:.1f} µs" if us < 100 else f"{us:.0f} µs"
    if sec < 1:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec:.2f} s"


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


def build_rows(b: Bench) -> list[Row]:
    rows: list[Row] = []
    S = b.series

    def cell(name: str, wire: bool = True) -> str:
        s = S.get(name)
        if s is None or s.skipped or s.median is None:
            return "-"
        text = fmt_time(s.median)
        if wire and s.wire:
            req, conn = statistics.median(w[0] for w in s.wire), statistics.median(w[1] for w in s.wire)
            text += f" [{fmt_num(req)} req, {fmt_num(conn)} conn]"
        return text

    def speedup(rid: str, what: str, base: str, cand: str, target: float | None, wire: bool = True) -> None:
        sb, sc = S.get(base), S.get(cand)
        if sb is None or sc is None:
            return  # section not run
        skipped = sb.skipped or sc.skipped
        if skipped or sb.median is None or sc.median is None:
            rows.append(Row(rid, what, cell(base, wire), cell(cand, wire), "-", "-", f"SKIP: {skipped}"))
            return
        ratio = sb.median / sc.median
        verdict = "info" if target is None else ("PASS" if ratio >= target else "MISS")
        rows.append(Row(rid, what, cell(base, wire), cell(cand, wire), f"{ratio:.2f}x",
                        "-" if target is None else f">= {fmt_num(target)}x", verdict))

    speedup("1a", "PHP seed curl block -> PHP binding, HTTPS, loopback", "php_seed_https_lo", "php_binding_https_lo", 10)
    speedup("1b", "PHP seed curl block -> PHP binding, HTTP, loopback", "php_seed_http_lo", "php_binding_http_lo", 2)
    speedup("1c", "  same, new Spread\\Client per order (php-fpm style), HTTPS", "php_seed_https_lo",
            "php_binding_per_client_https_lo", None)
    speedup("2a", "Python requests.post per order -> Python binding, HTTP, lo", "py_requests_post_http_lo", "py_binding_http_lo", None)
    speedup("2b", "Python requests.post per order -> Python binding, HTTPS, lo", "py_requests_post_https_lo", "py_binding_https_lo", None)
    speedup("2c", "  requests.Session (kept connection) -> binding, HTTP, lo", "py_requests_session_http_lo", "py_binding_http_lo", None)
    for rid, scheme, target in (("3a", "http", 1.15), ("3b", "https", None)):
        sf, sc = S.get(f"wrk_floor_{scheme}_lo"), S.get(f"c_api_{scheme}_lo")
        if sf and sc and sf.median and sc.median:
            ratio = sc.median / sf.median
            verdict = "info" if target is None else ("PASS" if ratio <= target else "MISS")
            rows.append(Row(rid, f"floor (wrk -c1, kept connection) vs C API, {scheme.upper()}, loopback",
                            cell(f"wrk_floor_{scheme}_lo"), cell(f"c_api_{scheme}_lo"), f"{ratio:.2f}x slower",
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
    speedup("5a", "PHP seed curl block -> PHP binding, HTTP, 20 ms link", "php_seed_http_link", "php_binding_http_link", 2.7)
    speedup("5b", "PHP seed curl block -> PHP binding, HTTPS, 20 ms link", "php_seed_https_link", "php_binding_https_link", 3.5)
    speedup("5c", "  binding cold (new process+connection per order), HTTP", "php_seed_http_link", "php_binding_cold_http_link", None)
    speedup("5d", "  binding cold (new process+connection per order), HTTPS", "php_seed_https_link", "php_binding_cold_https_link", None)
    bn, bb = b.n("bulk_c"), b.n("bulk_binding")
    speedup("6a", f"bulk {bn} orders, C: sequential -> send_many(8), HTTPS, 20 ms", "c_bulk_seq_https_link",
            "c_bulk_many8_https_link", 6, wire=False)
    speedup("6b", f"  PHP, {bb} orders: updateOrder loop -> sendMany(8)", "php_bulk_seq_https_link",
            "php_bulk_many8_https_link", None, wire=False)
    speedup("6c", f"  Python, {bb} orders: update_order loop -> send_many(8)", "py_bulk_seq_https_link",
            "py_bulk_many8_https_link", None, wire=False)
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


# Allocator noise: a page or two of malloc arena. Leaking even 1 byte per send would be ~100 KiB.
RSS_SLACK_KIB = 64


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
        "ratio = baseline / libspread (3a-3b: libspread / floor)",
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check that everything runs")
    parser.add_argument("--only", help="comma-separated sections to run: 1,2,3,4,5,6,7")
    parser.add_argument("--json", type=Path, help="where to write the raw numbers "
                        "(default: bench/results/<time>.json, none with --smoke)")
    parser.add_argument("--no-md", action="store_true", help="do not rewrite bench/RESULTS.md")
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
    started, load_before = time.monotonic(), os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="spread-bench-"))
    atexit.register(shutil.rmtree, tmp, True)
    # SIGTERM (a CI timeout): stop the servers on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        b.start(tmp)
        sections = [("1", b.section_loopback_php), ("2", b.section_python), ("3", b.section_floor),
                    ("4", b.section_encode), ("5", b.section_link), ("6", b.section_bulk), ("7", b.section_memory)]
        for key, fn in sections:
            if b.wants(key):
                fn()
    finally:
        stop_all()
    rows = build_rows(b)
    table = render(rows, b, machine_header(b, started, load_before, os.getloadavg()))
    print(table, flush=True)

    raw = {
        "smoke": b.smoke, "time": dt.datetime.now().isoformat(timespec="seconds"), "counts": {
            k: v[1 if b.smoke else 0] for k, v in COUNTS.items()},
        "series": {name: {"samples_s": s.samples, "median_s": s.median, "wire_per_order": s.wire, "skipped": s.skipped}
                   for name, s in b.series.items()},
        "extra": b.extra, "rows": [r.__dict__ for r in rows],
    }
    out = args.json
    if out is None and not b.smoke:
        out = BENCH / "results" / f"bench-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(raw, indent=1))
        log(f"raw numbers: {out}")
    if not b.smoke and only is None and not args.no_md:
        (BENCH / "RESULTS.md").write_text(
            "# libspread benchmark: last full run\n\n"
            "Written by `make bench` (bench/run.py) at commit " + git_commit() + "; see [README.md](README.md) for what each row measures.\n\n"
            "```\n" + table + "\n```\n")
        log(f"table: {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
