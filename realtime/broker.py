"""Fan-out between app processes, chosen by URL: `memory://` (one process) or `redis://host:port` (many).

A broker message is a wake-up, not the truth: pub/sub may drop one, so rooms fill any gap in sequence numbers
from the op log. Every queue here is bounded; a subscriber that falls behind loses messages rather than slowing
the publisher, and recovers from the op log.

Presence (who is connected, on which process) lives here too, because it must be shared by all processes.
Entries carry a lease that their process renews; a process that dies stops renewing and its entries expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

SUBSCRIBER_QUEUE = 1024
PRESENCE_LEASE_SECONDS = 60.0


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[str]: ...


class RoomBroker(Protocol):
    async def publish(self, meeting_id: str, message: str) -> None: ...

    def subscribe(self, meeting_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def presence_set(self, meeting_id: str, connection_id: str, entry: dict[str, Any]) -> None: ...

    async def presence_remove(self, meeting_id: str, connection_id: str) -> None: ...

    async def presence_list(self, meeting_id: str) -> list[dict[str, Any]]: ...

    async def close(self) -> None: ...


class _Inbox:
    """One subscriber's bounded queue. When full, new messages are dropped: the room notices the gap."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(SUBSCRIBER_QUEUE)

    def offer(self, message: str) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(message)

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            yield await self.queue.get()


def _alive(entry: dict[str, Any]) -> bool:
    return float(entry.get("lease_until", 0)) > time.time()


def leased(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "lease_until": time.time() + PRESENCE_LEASE_SECONDS}


class MemoryBroker:
    def __init__(self) -> None:
        self._inboxes: dict[str, set[_Inbox]] = defaultdict(set)
        self._presence: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    async def publish(self, meeting_id: str, message: str) -> None:
        for inbox in list(self._inboxes.get(meeting_id, ())):
            inbox.offer(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, meeting_id: str) -> AsyncIterator[Subscription]:
        inbox = _Inbox()
        self._inboxes[meeting_id].add(inbox)
        try:
            yield inbox
        finally:
            self._inboxes[meeting_id].discard(inbox)
            if not self._inboxes[meeting_id]:
                del self._inboxes[meeting_id]

    async def presence_set(self, meeting_id: str, connection_id: str, entry: dict[str, Any]) -> None:
        self._presence[meeting_id][connection_id] = leased(entry)

    async def presence_remove(self, meeting_id: str, connection_id: str) -> None:
        entries = self._presence.get(meeting_id)
        if entries is not None:
            entries.pop(connection_id, None)
            if not entries:
                del self._presence[meeting_id]

    async def presence_list(self, meeting_id: str) -> list[dict[str, Any]]:
        return [entry for entry in self._presence.get(meeting_id, {}).values() if _alive(entry)]

    async def close(self) -> None:
        self._inboxes.clear()


class RedisBroker:
    """One pub/sub connection per process, shared by all its rooms; a reader task routes messages to inboxes."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._inboxes: dict[str, set[_Inbox]] = defaultdict(set)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def _channel(meeting_id: str) -> str:
        return f"sosboard:meeting:{meeting_id}"

    @staticmethod
    def _presence_key(meeting_id: str) -> str:
        return f"sosboard:presence:{meeting_id}"

    async def publish(self, meeting_id: str, message: str) -> None:
        await self._redis.publish(self._channel(meeting_id), message)

    @contextlib.asynccontextmanager
    async def subscribe(self, meeting_id: str) -> AsyncIterator[Subscription]:
        inbox = _Inbox()
        channel = self._channel(meeting_id)
        async with self._lock:
            if not self._inboxes[meeting_id]:
                await self._pubsub.subscribe(channel)
            self._inboxes[meeting_id].add(inbox)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="redis-broker-reader")
        try:
            yield inbox
        finally:
            async with self._lock:
                self._inboxes[meeting_id].discard(inbox)
                if not self._inboxes[meeting_id]:
                    del self._inboxes[meeting_id]
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        prefix = len(self._channel(""))
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:  # a dropped Redis connection: rooms recover from the op log on their next ping
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            for inbox in list(self._inboxes.get(str(message["channel"])[prefix:], ())):
                inbox.offer(str(message["data"]))

    async def presence_set(self, meeting_id: str, connection_id: str, entry: dict[str, Any]) -> None:
        key = self._presence_key(meeting_id)
        await self._redis.hset(key, connection_id, json.dumps(leased(entry)))
        await self._redis.expire(key, int(PRESENCE_LEASE_SECONDS * 2))

    async def presence_remove(self, meeting_id: str, connection_id: str) -> None:
        await self._redis.hdel(self._presence_key(meeting_id), connection_id)

    async def presence_list(self, meeting_id: str) -> list[dict[str, Any]]:
        raw = await self._redis.hgetall(self._presence_key(meeting_id))
        entries = [json.loads(value) for value in raw.values()]
        return [entry for entry in entries if _alive(entry)]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()


def broker_from_url(url: str) -> RoomBroker:
    if url.startswith("memory://"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url)
    raise ValueError("The broker URL must start with memory:// or redis://")
