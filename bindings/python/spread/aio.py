"""spread.AsyncClient: Client's calls as coroutines for asyncio programs.

Each blocking libspread call runs in a thread of an executor (the event loop's
default one unless another is given), so the loop keeps serving other tasks while
SPREAD answers; a slow SPREAD holds one executor thread, never the loop. The
native calls release the GIL, so these threads run in parallel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import Any, Callable, Iterable, List, Mapping, Optional, Type, TypeVar

from .client import Client, FlushResult, OrderLike, RejectedEntry, Response, SendResult, SpoolStatus
from .order import Order

__all__ = ["AsyncClient"]

_T = TypeVar("_T")
_A = TypeVar("_A", bound="AsyncClient")


class AsyncClient:
    """A spread.Client whose sending calls are awaitable::

        async with spread.AsyncClient("PUBLIC_KEY", "PRIVATE_KEY", spool_dir="/var/spool/spread") as client:
            response = await client.send(order)

    Takes Client's keywords (and ``executor``: a concurrent.futures.Executor for the
    blocking calls; the loop's default one otherwise). ``client`` is the underlying
    Client, for what is not a network call. Orders may be shared with other tasks
    only as a Client's are: an Order is held for the duration of a call.
    """

    def __init__(self, public_key: str, private_key: str, *,
                 executor: Optional[concurrent.futures.Executor] = None, **options: Any) -> None:
        self._executor = executor
        self.client = Client(public_key, private_key, **options)

    @classmethod
    def from_env(cls: Type[_A], *, environ: Optional[Mapping[str, str]] = None,
                 executor: Optional[concurrent.futures.Executor] = None, **options: Any) -> _A:
        """As Client.from_env(): the keys and options of the ``spread`` command's environment."""
        made = cls.__new__(cls)
        made._executor = executor
        made.client = Client.from_env(environ=environ, **options)
        return made

    def __repr__(self) -> str:
        return f"<spread.AsyncClient {'closed' if self.client.closed else 'open'}>"

    async def _run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def send(self, order: Order) -> Response:
        """Client.send(), awaited: validates and posts `order`, retrying within `timeout`."""
        return await self._run(self.client.send, order)

    async def update_order(self, post_data: Mapping[str, Any]) -> Response:
        """Client.update_order(), awaited: the seed's ``$post_data`` as a dict."""
        return await self._run(self.client.update_order, post_data)

    async def enqueue(self, order: OrderLike) -> Response:
        """Client.enqueue(), awaited: written durably to the spool (an fsync), then
        delivered by libspread's background thread."""
        return await self._run(self.client.enqueue, order)

    async def flush(self) -> FlushResult:
        """Client.flush(), awaited."""
        return await self._run(self.client.flush)

    async def send_many(self, orders: Iterable[OrderLike], concurrency: int = 8,
                        progress: Optional[Callable[[int, int], None]] = None) -> List[SendResult]:
        """Client.send_many(), awaited. ``progress`` runs on the executor's thread."""
        return await self._run(self.client.send_many, list(orders), concurrency, progress)

    async def spool_status(self) -> SpoolStatus:
        """Client.spool_status(), awaited (it reads the spool folder)."""
        return await self._run(self.client.spool_status)

    async def rejected(self) -> List[RejectedEntry]:
        """Client.rejected(), awaited."""
        return await self._run(self.client.rejected)

    @property
    def closed(self) -> bool:
        return self.client.closed

    async def aclose(self) -> None:
        """Client.close() off the loop: it waits for calls in progress and, at most
        ``shutdown_timeout``, for the background delivery of enqueued orders."""
        await self._run(self.client.close)

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
