"""An HTTP CONNECT proxy on 127.0.0.1 that tunnels every CONNECT to one loopback port,
whatever host it names: a client can then be given a base URL whose host is not
loopback (``http://spread.test:PORT/api``, so the plain-http rule applies) and still
reach a server on 127.0.0.1. It records each CONNECT line.

    with Tunnel(upstream_port) as t:        # Python tests
        ...  # t.url, t.connects
    python3 tests/harness/tunnel.py PORT    # PHP and C tests: prints its own port,
                                            # serves until stdin closes (or 600 s)

Stdlib only.
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import List


class Tunnel:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connects: List[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def __enter__(self) -> "Tunnel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode(errors="replace")
            self.connects.append(line)
            if not line.startswith("CONNECT "):
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                rest = head.split(b"\r\n\r\n", 1)[1]
                if rest:
                    upstream.sendall(rest)
                back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
                back.start()
                _pipe(conn, upstream)
                back.join(5)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    try:
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


if __name__ == "__main__":
    tunnel = Tunnel(int(sys.argv[1]))
    print(tunnel.port, flush=True)
    waiter = threading.Thread(target=sys.stdin.read, daemon=True)
    waiter.start()
    waiter.join(600)
