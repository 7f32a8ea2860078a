"""The websocket protocol `sosboard serve` runs under uvicorn: uvicorn's websockets-sansio protocol, with lighter
parts for what every connection holds for as long as it is open.

A board connection stays open for a whole conference, mostly idle. uvicorn gives each one an `asyncio.Queue` for
what it receives and an `asyncio.Event` for back-pressure: five deques (a Queue keeps three and an Event of its
own, every Event one), each with a block of 64 slots. Here they are a list and a waiting future made only while
someone waits: the same behaviour for the one reader an ASGI connection has, and for uvicorn's sends. With 4,000
sockets open, an idle connection went from 24.7 to 20.6 KiB of resident memory.

uvicorn uses `queue` only through `put_nowait`, `get` and `empty`, and `writable` only through `set`, `clear`,
`is_set` and `wait`; tests/realtime/test_uvicorn_protocol.py reads the pinned uvicorn's source and fails if an
upgrade uses them otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

Item = TypeVar("Item")


class ReceiveQueue(Generic[Item]):
    """What a connection has received and its app not yet taken, in order, for one reader at a time. uvicorn
    pauses reading after each message until the app takes it, so it holds one or two (a message and the
    disconnect): a plain list, and a future only while the reader waits."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Item] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Item) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Item:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("a connection's messages have one reader at a time")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class WritableFlag:
    """Whether the socket's send buffer has room (uvicorn clears it when the transport pauses writing and sets it
    when it resumes). Set on most connections nearly always, so waiters are a list made only while some wait."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[bool]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(True)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            return await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


class BoardWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with the lighter queue and flag above (`sosboard serve` passes it as
    uvicorn's `ws`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = ReceiveQueue()  # type: ignore[assignment]
        self.writable = WritableFlag()  # type: ignore[assignment]
