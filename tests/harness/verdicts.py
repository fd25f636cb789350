"""A small keep-alive stand-in for SPREAD whose verdict depends on the order,
for the fork tests (issue 21) of every language: orders whose id starts with
C are refused (400), S ones are answered 200 after a pause (a send or flush
stays in flight), the others 200 at once; every answer names its order, so
a process that reads another's answer sees it. While "down", every order
gets a 503 (a send with a spool then queues it).

    with VerdictServer() as vs:          # Python tests
        ...  # vs.base_url
    python3 tests/harness/verdicts.py    # C and PHP tests: prints the port, serves
                                         # until stdin closes (or 600 s)

    POST /api/updateOrder    the verdict, {"status":...,"message":"... <id>"}
    POST /_verdicts/down     503 for every order from now; /_verdicts/up undoes it
                             (also …/down/updateOrder: a client with that base URL)
    GET  /_verdicts/ids      the order ids seen, in order, as JSON

Stdlib only. HTTP/1.1 with Content-Length: connections stay open between requests.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

# Long enough for the other process's request to reach the same connection.
PAUSE = 0.005
SLOW = 0.4


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, doc: object) -> None:
        body = json.dumps(doc).encode()
        head = (f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        # One write: a whole answer is read by whichever process reads first.
        self.wfile.write(head.encode() + body)

    def do_GET(self) -> None:
        if self.path == "/_verdicts/ids":
            with self.server.lock:
                self._answer(200, list(self.server.ids))
        else:
            self._answer(404, {"status": "error", "message": "not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(("/_verdicts/down", "/_verdicts/up")):
            # Also under …/updateOrder: a libspread client with that base URL is the switch.
            self.server.down = self.path.startswith("/_verdicts/down")
            self._answer(200, {"status": "ok"})
            return
        oid = (parse_qs(body.decode("utf-8", "replace")).get("data[order_idorder]") or [""])[0]
        with self.server.lock:
            self.server.ids.append(oid)
        if self.server.down:
            self._answer(503, {"status": "error", "message": f"down for {oid}"})
            return
        time.sleep(SLOW if oid.startswith("S") else PAUSE)
        if oid.startswith("C"):
            self._answer(400, {"status": "error", "message": f"refused {oid}"})
        else:
            self._answer(200, {"status": "ok", "order_idorder": oid})


class VerdictServer:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.lock = threading.Lock()
        self.httpd.ids = []
        self.httpd.down = False
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "VerdictServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _post(self, path: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=b"", method="POST"), timeout=10).read()

    def down(self) -> None:
        self._post("/_verdicts/down")

    def up(self) -> None:
        self._post("/_verdicts/up")

    def ids(self) -> list[str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_verdicts/ids", timeout=10) as r:
            return json.loads(r.read())


if __name__ == "__main__":
    with VerdictServer() as vs:
        print(vs.port, flush=True)
        deadline = time.monotonic() + 600
        # Stops when the caller closes stdin (or dies), or after 600 s.
        reader = threading.Thread(target=sys.stdin.read, daemon=True)
        reader.start()
        while reader.is_alive() and time.monotonic() < deadline:
            reader.join(0.2)
