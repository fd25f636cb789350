"""spread.Client's options reach libspread and do what they say: an explicit proxy (and
none from the environment), plain http only with the opt-in, the TLS roots, strict
drop-in, the flush budget, and times rounded up to whole milliseconds."""

from __future__ import annotations

import base64
import inspect
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

import pytest
from spread_test_helpers import OK, LoopbackServer, minimal_order

# The certificate helpers of tests/integration/test_tls.py: on the path when pytest collects
# that folder too (make test), not when this suite runs alone (pytest tests/python).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from test_tls import make_ca, make_server_cert  # noqa: E402

import spread

NOWHERE = "spread-test.invalid"  # never resolves: only a proxy can take a request there


class Proxy:
    """A listener that records the head of each request it gets and answers 502."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.heads: list = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head and (chunk := conn.recv(4096)):
                    head += chunk
                self.heads.append(head.decode(errors="replace"))
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy():
    p = Proxy()
    yield p
    p.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_requests_to_other_hosts_go_through_the_proxy(proxy, scheme):
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=f"{scheme}://{NOWHERE}/api", proxy=proxy.url,
                       allow_insecure_http=True, max_attempts=1, timeout=5) as client:
        with pytest.raises(spread.SpreadError):
            client.update_order(minimal_order("PX-1"))
    (head,) = proxy.heads
    assert NOWHERE in head.split("\r\n")[0], head
    if scheme == "https":  # a tunnel: the keys are inside TLS, never shown to the proxy
        assert head.startswith(f"CONNECT {NOWHERE}:443 ")
        assert "PRIVATE_KEY" not in head and base64.b64encode(b"PUBLIC_KEY:PRIVATE_KEY").decode() not in head


def test_loopback_never_goes_through_the_proxy(sb, proxy):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, proxy=proxy.url) as client:
        assert client.update_order(minimal_order("PX-2")).status == 200
    assert proxy.heads == [] and "PX-2" in sb.state()["orders"]


def test_proxy_variables_in_the_environment_are_ignored(monkeypatch, proxy):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.url)
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=f"https://{NOWHERE}/api", max_attempts=1,
                       timeout=5) as client:
        with pytest.raises(spread.NetworkError):  # the name does not resolve: no proxy was asked
            client.update_order(minimal_order("PX-3"))
    assert proxy.heads == []


@pytest.mark.parametrize("proxy_url", ["ftp://127.0.0.1:21", "not a url"])
def test_a_bad_proxy_is_a_config_error(proxy_url):
    with pytest.raises(spread.ConfigError, match="^proxy: not a proxy URL"):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", proxy=proxy_url)


@pytest.mark.parametrize("concurrency", [0, 33])
def test_delivery_concurrency_is_checked(concurrency):
    with pytest.raises(spread.ConfigError, match=f"^delivery_concurrency: {concurrency} is out of range"):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", delivery_concurrency=concurrency)
    for fine in (1, 32):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", delivery_concurrency=fine).close()


def test_plain_http_to_another_host_needs_the_opt_in(proxy):
    with pytest.raises(spread.ConfigError, match=f"^base_url: .*{NOWHERE}"):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=f"http://{NOWHERE}/api")
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=f"http://{NOWHERE}/api", allow_insecure_http=True,
                       proxy=proxy.url, max_attempts=1, timeout=5) as client:
        with pytest.raises(spread.SpreadError):
            client.update_order(minimal_order("PX-4"))
    assert len(proxy.heads) == 1  # accepted, and sent


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca(folder, "python-test-ca")
    cert, key = make_server_cert(folder, ca, "IP:127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with LoopbackServer(tls=context) as server:
        yield server, ca[0]


@pytest.mark.parametrize("option", ["tls_roots", "ca_file"])
def test_a_private_ca_is_trusted_through_tls_roots(https_server, option):
    server, ca = https_server
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, **{option: ca}) as client:
        assert client.update_order(minimal_order("TLS-1")).status == 200


@pytest.mark.parametrize("roots", ["bundled", "system"])
def test_the_bundled_and_system_roots_do_not_know_a_test_ca(https_server, roots):
    server, _ = https_server
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, tls_roots=roots,
                       max_attempts=1) as client:
        with pytest.raises(spread.TlsError):
            client.update_order(minimal_order("TLS-2"))


@pytest.mark.parametrize("roots, message", [
    ("", 'tls_roots: must be "system", "bundled" or the path of a PEM file'),
    ("/nonexistent/ca.pem", "tls_roots: cannot read the CA file /nonexistent/ca.pem"),  # a path is a CA file
    ("/dev/null", "ca_file: no PEM certificate in /dev/null"),
])
def test_bad_tls_roots_are_config_errors(roots, message):
    with pytest.raises(spread.ConfigError) as info:
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", tls_roots=roots)
    assert str(info.value).startswith(message)


def test_strict_refuses_what_the_lenient_drop_in_sends_with_a_warning(sb):
    legacy = minimal_order("ST-1", customer_birthday="0000-00-00", customer_gender="")
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, strict=True) as strict:
        with pytest.raises(spread.InvalidValueError, match='^customer_birthday: "0000-00-00"'):
            strict.update_order(legacy)
        assert sb.requests() == []
        with spread.Order(**minimal_order("ST-1")) as typed:  # strict only changes the drop-in
            assert strict.send(typed).status == 200
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as lenient:
        response = lenient.update_order(legacy)
    assert response.status == 200 and [w.split(":")[0] for w in response.warnings] == [
        "customer_birthday", "customer_gender"]


def test_a_flush_stops_when_its_budget_is_used_up(tmp_path):
    down = threading.Event()
    down.set()

    def respond(seen, server):
        if down.is_set():
            return 503, {}, b"down"
        time.sleep(0.4)
        return OK

    with LoopbackServer(respond) as server, spread.Client(
            "PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, spool_dir=tmp_path, max_attempts=1,
            flush_budget=0.5) as client:
        for i in range(4):
            assert client.update_order(minimal_order(f"FB-{i}")).queued
        down.clear()
        began = time.monotonic()
        with pytest.raises(spread.TimeoutError) as info:
            client.flush()
        took = time.monotonic() - began
    delivered, remaining = info.value.flush_result
    assert delivered in (1, 2) and delivered + remaining == 4, info.value.flush_result
    assert took < 1.5, took


def test_times_are_rounded_up_to_a_whole_millisecond(sb):
    sb.fault(mode="slow", delay_ms=300, times=1)
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=0.0001) as client:
        with pytest.raises(spread.TimeoutError, match="within 1 ms"):  # not 0 (refused), not unbounded
            client.update_order(minimal_order("MS-1"))


# ------------------------------------------------------------------ libspread's option table

from spread import _native  # noqa: E402
from spread.client import keyword_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.tunnel import Tunnel  # noqa: E402

#: Client() parameters that are not libspread options.
NOT_OPTIONS = {"public_key", "private_key", "strict"}


def test_the_keywords_are_libspreads_options_both_ways():
    table = {keyword_of(o): o for o in _native.options()}
    params = inspect.signature(spread.Client).parameters
    assert set(params) - NOT_OPTIONS == set(table)  # each keyword an option, each option a keyword
    for keyword, option in table.items():  # None: libspread's default; False for "false"
        default = params[keyword].default
        assert default is None or str(default).lower() == option.default, keyword
    assert {o.type for o in table.values()} <= {"string", "bool", "integer", "milliseconds", "path", "choice"}
    assert [k for k in table if f"``{k}``" not in (spread.Client.__doc__ or "")] == []  # the docstring's list
    # from_env() reads the variables libspread's table names (as the ``spread`` command does),
    # each into the keyword of its option's name.
    envs = {o.env: keyword_of(o) for o in table.values() if o.env}
    assert envs == {"SPREAD_BASE_URL": "base_url", "SPREAD_SPOOL": "spool_dir", "SPREAD_APP_INFO": "app_info"}


def test_from_env_reads_each_variable_of_the_table_and_keywords_win(tmp_path: Path):
    keys = {"SPREAD_PUBLIC_KEY": "PUBLIC_KEY", "SPREAD_PRIVATE_KEY": "PRIVATE_KEY"}
    good = {"base_url": "http://127.0.0.1:9/api", "spool_dir": str(tmp_path), "app_info": "shop/1.0"}
    bad = {"base_url": "\x01bad", "spool_dir": "/dev/null", "app_info": "\x01bad"}
    for option in (o for o in _native.options() if o.env):
        with pytest.raises(spread.ConfigError, match=f"^{option.name}: "):  # read: its bad value refused
            spread.Client.from_env(environ={**keys, option.env: bad[option.name]})
        spread.Client.from_env(environ={**keys, option.env: bad[option.name]}, **{option.name: good[option.name]}).close()


def _readme_options():
    """The option table of bindings/python/README.md: keyword -> default as written."""
    text = (Path(__file__).resolve().parents[2] / "bindings" / "python" / "README.md").read_text()
    section = text.split("`spread.Client(public_key, private_key, *, ...)`", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in section.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        names, defaults = cells[0].split(", "), cells[1].split(", ")
        for name, default in zip(names, defaults * len(names) if len(defaults) == 1 else defaults):
            rows[name.strip("`")] = default.strip("`")
    return rows


def test_the_readme_lists_every_option_with_libspreads_default():
    rows = _readme_options()
    table = {keyword_of(o): o for o in _native.options()}
    assert set(rows) - NOT_OPTIONS == set(table)
    for keyword, option in table.items():
        shown = rows[keyword]
        if option.type == "milliseconds":
            assert float(shown) * 1000 == int(option.default), keyword
        else:
            want = {"": "none", "false": "False", "true": "True"}.get(option.default, option.default)
            assert shown.strip('"') == want, keyword


def test_base_url_before_allow_insecure_http_sends(sb):
    with Tunnel(sb.port) as tunnel:
        remote = f"http://spread-sandbox.test:{sb.port}/api"  # not loopback: the rule applies
        with spread.Client(sb.public_key, sb.private_key, base_url=remote, proxy=tunnel.url,
                           allow_insecure_http=True, max_attempts=1, timeout=10) as client:
            assert client.update_order(minimal_order("ANY-ORDER-1")).status == 200
    assert tunnel.connects == [f"CONNECT spread-sandbox.test:{sb.port} HTTP/1.1"]
    assert "ANY-ORDER-1" in sb.state()["orders"]


def test_never_allowed_is_refused_naming_both_options(sb):
    with Tunnel(sb.port) as tunnel:
        with pytest.raises(spread.ConfigError) as info:
            spread.Client(sb.public_key, sb.private_key, base_url=f"http://spread-sandbox.test:{sb.port}/api",
                          proxy=tunnel.url)
    message = str(info.value)
    assert message.startswith("base_url: plain http to spread-sandbox.test") and "allow_insecure_http" in message
    assert tunnel.connects == [] and sb.requests() == []


def test_ca_file_and_other_tls_roots_are_refused_together(https_server):
    _, ca = https_server
    spread.Client("PUBLIC_KEY", "PRIVATE_KEY", ca_file=ca, tls_roots=ca).close()  # the same file twice
    with pytest.raises(spread.ConfigError, match="^ca_file: .* and tls_roots bundled name different"):
        spread.Client("PUBLIC_KEY", "PRIVATE_KEY", ca_file=ca, tls_roots="bundled")
