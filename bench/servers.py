"""The benchmark's servers on 127.0.0.1, and the processes it starts: nginx with HTTP
Basic auth and a static answer (HTTP, and HTTPS with a test CA made now), and the TCP
proxy that turns loopback into a 20 ms round-trip link (delay_proxy.py). Every child
gets SIGTERM when the benchmark dies, however it dies, and is stopped at exit."""

from __future__ import annotations

import atexit
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PUBLIC_KEY, PRIVATE_KEY = "PUBLIC_KEY", "PRIVATE_KEY"
ONE_WAY_DELAY_MS = 10.0  # a 20 ms round trip
DELAY_PROXY = Path(__file__).resolve().with_name("delay_proxy.py")

_children: list[subprocess.Popen] = []
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """In the child: get SIGTERM when the benchmark dies, however it dies (PR_SET_PDEATHSIG)."""
    _libc.prctl(1, signal.SIGTERM)


def spawn(cmd: list[str], **kw: Any) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, preexec_fn=die_with_parent, **kw)
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

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master, which runs in the foreground)."""
        pid = self.proc.pid
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

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
        self.proc = spawn([sys.executable, str(DELAY_PROXY), "--delay-ms", str(ONE_WAY_DELAY_MS),
                           *map(str, upstreams)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the delay proxy did not start")
        self.ports = {int(k): v for k, v in json.loads(line).items()}

