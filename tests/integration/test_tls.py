"""TLS is verified: a real HTTPS server on loopback with a certificate from a
test CA made here by openssl. The library trusts it only through `ca_file`,
refuses a wrong CA or host name, and never follows https to http."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bindings" / "python"))
import spread  # noqa: E402


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(dir: Path, name: str) -> tuple[Path, Path]:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
             cwd=dir)
    return dir / f"{name}.pem", dir / f"{name}.key"


def make_server_cert(dir: Path, ca: tuple[Path, Path], san: str) -> tuple[Path, Path]:
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=spread-test-server",
             "-keyout", "server.key", "-out", "server.csr", cwd=dir)
    (dir / "ext.cnf").write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", str(ca[0]), "-CAkey", str(ca[1]),
             "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem", cwd=dir)
    return dir / "server.pem", dir / "server.key"


class Handler(BaseHTTPRequestHandler):
    """200 to /api/updateOrder; /api/downgrade/updateOrder redirects to plain http."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append({"path": self.path, "auth": self.headers.get("Authorization", "").split(" ")[0],
                                 "body": body})
        if self.path.startswith("/api/downgrade/"):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/api/updateOrder")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = json.dumps({"status": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    dir = tmp_path_factory.mktemp("pki")
    ca = make_ca(dir, "test-ca")
    other_ca = make_ca(dir, "other-ca")
    cert = make_server_cert(dir, ca, "IP:127.0.0.1,DNS:localhost")
    return {"ca": ca[0], "other_ca": other_ca[0], "cert": cert[0], "key": cert[1], "dir": dir}


@pytest.fixture(scope="module")
def https_server(pki):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.seen = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def order(id: str) -> spread.Order:
    return spread.Order(customer_email="tls@example.com", order_idorder=id, order_state=20,
                        order_amount=12.5, order_crea_dt="2024-01-02 03:04:05")


def test_a_server_signed_by_the_configured_ca_is_trusted(https_server, pki):
    https_server.seen.clear()
    url = f"https://127.0.0.1:{https_server.server_port}/api"
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=url, ca_file=pki["ca"], timeout=5) as client:
        response = client.send(order("tls-1"))
    assert response.status == 200
    assert [(r["path"], r["auth"]) for r in https_server.seen] == [("/api/updateOrder", "Basic")]


def test_without_the_ca_the_certificate_is_refused(https_server):
    https_server.seen.clear()
    url = f"https://127.0.0.1:{https_server.server_port}/api"
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=url, timeout=5, max_attempts=1) as client:
        with pytest.raises(spread.TlsError) as e:
            client.send(order("tls-2"))
    assert e.value.status == 22
    assert https_server.seen == []  # nothing, credentials least of all, crossed an unverified connection


def test_another_ca_is_refused(https_server, pki):
    url = f"https://127.0.0.1:{https_server.server_port}/api"
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=url, ca_file=pki["other_ca"],
                       timeout=5, max_attempts=1) as client:
        with pytest.raises(spread.TlsError):
            client.send(order("tls-3"))


def test_a_certificate_for_another_host_is_refused(pki, tmp_path):
    ca = (pki["ca"], pki["dir"] / "test-ca.key")
    cert, key = make_server_cert(tmp_path, ca, "DNS:elsewhere.example")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.seen = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/api"
        with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=url, ca_file=pki["ca"],
                           timeout=5, max_attempts=1) as client:
            with pytest.raises(spread.TlsError):
                client.send(order("tls-4"))
    finally:
        server.shutdown()
        server.server_close()


def test_https_never_redirects_to_plain_http(https_server, pki):
    https_server.seen.clear()
    url = f"https://127.0.0.1:{https_server.server_port}/api/downgrade"
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=url, ca_file=pki["ca"], timeout=5) as client:
        with pytest.raises(spread.RedirectError, match="https to http"):
            client.send(order("tls-5"))
    assert [r["path"] for r in https_server.seen] == ["/api/downgrade/updateOrder"]


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_an_unusable_ca_file_is_a_config_error(tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(spread.ConfigError, match="ca_file"):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", ca_file=path)
