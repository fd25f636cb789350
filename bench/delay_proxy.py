#!/usr/bin/env python3
"""A slow link on loopback: a TCP proxy that delays every chunk by DELAY ms in
each direction (so a request/answer exchange costs 2*DELAY: the round trip),
and holds a new connection's first bytes one extra round trip, as the TCP
handshake would (connect() returns at once on loopback; over a real link the
first byte can only leave after SYN/SYN-ACK). TLS goes through untouched, so
its handshake pays its own round trips on top. The kernel's netem is not
available here, hence this.

The delay is latency, not bandwidth: chunks are not serialised behind each
other, each is released DELAY ms after it arrived, in order.

    python3 bench/delay_proxy.py --delay-ms 10 9001 9002

listens on a free 127.0.0.1 port per upstream port (127.0.0.1:9001, :9002),
prints one JSON line {"9001": <port>, "9002": <port>} and serves until its
stdin closes (the benchmark holds the other end: the proxy never outlives it)
or it gets SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   delay: float, not_before: float) -> None:
    """Copies reader to writer, each chunk released `delay` s after it arrived
    (and not before `not_before`, the end of the simulated handshake)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def release() -> None:
        while True:
            at, data = await queue.get()
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    releaser = asyncio.create_task(release())
    try:
        while True:
            try:
                data = await reader.read(1 << 16)
            except (ConnectionError, OSError):
                data = b""
            queue.put_nowait((max(loop.time(), not_before) + delay, data))
            if not data:
                break
        await releaser
    except (ConnectionError, OSError):
        pass
    finally:
        releaser.cancel()


def _handler(upstream_port: int, delay: float):
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_w.close()
            return
        # Client -> server: nothing arrives before the handshake's round trip is over.
        up = _forward(client_r, server_w, delay, accepted + 2 * delay)
        down = _forward(server_r, client_w, delay, 0.0)
        try:
            await asyncio.gather(up, down)
        except asyncio.CancelledError:
            pass  # the proxy is stopping: asyncio would print the cancelled task's "exception"
        finally:
            for w in (client_w, server_w):
                try:
                    w.close()
                except (ConnectionError, OSError):
                    pass
    return handle


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=10.0, help="one-way delay (default 10)")
    parser.add_argument("upstreams", type=int, nargs="+", help="127.0.0.1 ports to forward to")
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    # The parent holds our stdin: EOF means it is gone, and so should we be.
    loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.buffer.raw.read(4096) or stop.done() or stop.set_result(None)))

    servers = {}
    for port in args.upstreams:
        servers[port] = await asyncio.start_server(_handler(port, delay), "127.0.0.1", 0, backlog=256)
    print(json.dumps({str(p): s.sockets[0].getsockname()[1] for p, s in servers.items()}), flush=True)
    await stop
    for s in servers.values():
        s.close()


if __name__ == "__main__":
    asyncio.run(main())
