"""Small helpers shared by the Python binding's tests (named uniquely: pytest puts this
folder on sys.path, beside the other suites')."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple


def minimal_order(idorder: object = "A-1", **extra: object) -> dict:
    """The smallest data SPREAD accepts for an order, plus `extra`."""
    return {
        "customer_email": "john@doe.com",
        "order_idorder": idorder,
        "order_state": 20,
        "order_amount": 158.31,
        "order_crea_dt": "2014-06-21 14:31:08",
        **extra,
    }


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return


def wait_for(condition: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> object:
    """Polls `condition` until it is truthy (returned) or `timeout` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still false after {timeout} s")
        time.sleep(0.05)


def split_batch(body: bytes, count: int) -> List[bytes]:
    """Cuts http_build_query({0: a, 1: b, ...}) into http_build_query(a), (b), ...

    Each pair of case i reads `i%5B<key>%5D<rest>=<value>`; with the `i%5B` prefix and the
    first `%5D` removed it is `<key><rest>=<value>`, exactly what encoding case i alone
    gives (top-level keys here are plain words: data, request). Values never hold a raw
    `&`, so splitting on it is safe. One `php` run then encodes hundreds of cases."""
    out: List[List[bytes]] = [[] for _ in range(count)]
    for pair in body.split(b"&"):
        if not pair:
            continue
        index, rest = pair.split(b"%5B", 1)
        out[int(index)].append(rest.replace(b"%5D", b"", 1))
    return [b"&".join(pairs) for pairs in out]


# ----------------------------------------------------------------------------- a loopback server

@dataclass
class Seen:
    """One request the loopback server received."""

    path: str
    headers: Dict[str, str]
    body: bytes
    arrived: float                     # time.monotonic() when the body was read
    finished: Optional[float] = None   # when the answer began to go out (the client cannot have it sooner)
    status: Optional[int] = None

    def form(self) -> Dict[str, str]:
        from urllib.parse import parse_qsl
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


#: An answer: (status, headers, body). A responder may also sleep before answering.
Answer = Tuple[int, Dict[str, str], bytes]
OK: Answer = (200, {"Content-Type": "application/json"}, b'{"status":"ok"}')


@dataclass
class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that stands in for SPREAD when a test must
    see what the sandbox cannot show: how many requests are in flight at once, exactly
    when each arrived, or an answer that never comes. ``respond(seen, server)`` gives
    each answer (default 200); ``hang()`` makes a responder wait until the server stops.

        with LoopbackServer(respond) as server:
            spread.Client(..., base_url=server.base_url)
    """

    respond: Callable[["Seen", "LoopbackServer"], Answer] = lambda seen, server: OK
    #: Serves https with this context (a test CA's certificate) instead of http.
    tls: Optional[ssl.SSLContext] = None
    seen: List[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as SPREAD's server

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = Seen(self.path, dict(self.headers.items()), body, time.monotonic())
                with owner.lock:
                    owner.seen.append(seen)
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    status, headers, payload = owner.respond(seen, owner)
                finally:
                    with owner.lock:
                        owner.in_flight -= 1
                if owner.stopping.is_set():
                    self.close_connection = True  # no answer: the client sees the connection end
                    return
                # Stamped before writing: a client may read the answer and send again before
                # a stamp taken after the write (CI saw the next request 0.2 ms "earlier").
                seen.status, seen.finished = status, time.monotonic()
                self.send_response(status)
                for name, value in {"Content-Length": str(len(payload)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if self.tls is not None:
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/api"

    def hang(self, limit: float = 60.0) -> Answer:
        """For a responder: never answer (until the server stops, or `limit` seconds)."""
        self.stopping.wait(limit)
        return OK

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
