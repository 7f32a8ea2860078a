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
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger("sosboard.realtime")
_T = TypeVar("_T")

SUBSCRIBER_QUEUE = 1024
PRESENCE_LEASE_SECONDS = 60.0
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_CONNECTIONS = 32
"""Connections to Redis for commands (publish, presence), per process; the pub/sub reader has one of its own."""
"""How long one call to Redis may take. It answers in well under a millisecond when well; past a second it is down
or paused, and an author's next edit must not wait on it."""
RESUBSCRIBE_FIRST_DELAY_SECONDS = 0.1
RESUBSCRIBE_MAX_DELAY_SECONDS = 2.0
"""The reconnect loop's delay doubles up to this: a Redis that comes back is in use again within about 2 s."""
RESUBSCRIBED = json.dumps({"kind": "resubscribed"})
"""Offered to every inbox after the broker reconnected: messages may have been lost while it was away."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[str]: ...


class RoomBroker(Protocol):
    async def publish(self, meeting_id: str, message: str) -> None: ...

    def reaches_other_rooms(self, meeting_id: str, own: Subscription) -> bool:
        """Whether a message for this meeting could reach a room other than the one subscribed as `own`: a room
        skips encoding and publishing what only it would hear (on `memory://`, every event of every edit)."""
        ...

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

    def reaches_other_rooms(self, meeting_id: str, own: Subscription) -> bool:
        # One process has one room per meeting; another is there only when registries share this broker, as
        # tests of several processes in one do.
        return any(inbox is not own for inbox in self._inboxes.get(meeting_id, ()))

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


class BrokerUnavailable(ConnectionError):
    """Redis did not answer a moment ago: calls fail at once until the reader has reconnected, so that an author's
    next edit never waits on a broker that is down (rooms fill the gap from the op log)."""


class RedisBroker:
    """One pub/sub connection per process, shared by all its rooms; a reader task routes messages to inboxes.

    Redis may go away (restart, network, a paused process). Nothing here waits on it for long: each call has
    `REDIS_TIMEOUT_SECONDS`, and after a failure calls fail at once (`BrokerUnavailable`) while the reader task
    reconnects in a retry loop whose delay doubles from `RESUBSCRIBE_FIRST_DELAY_SECONDS` up to
    `RESUBSCRIBE_MAX_DELAY_SECONDS` (bounded: never a busy loop, never longer than that between tries) and then
    subscribes again to every meeting with a room open here. So a room can open while Redis is down, and when
    Redis returns each of its inboxes gets `RESUBSCRIBED`, on which the room reads what it missed from the op log.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # A connect storm sends hundreds of presence writes at once: they wait their turn for one of the pool's
        # connections (up to the timeout), where the default pool refused past 100 with MaxConnectionsError, and
        # the broker counted Redis as down while it was only busy.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_CONNECTIONS,
            timeout=REDIS_TIMEOUT_SECONDS,
            decode_responses=True,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # the reader task is the one that retries, without holding up a room
        )
        self._redis = redis.Redis.from_pool(pool)  # closing the client closes its pool
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._inboxes: dict[str, set[_Inbox]] = defaultdict(set)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._up = True
        self._subscribed = asyncio.Event()

    @staticmethod
    def _channel(meeting_id: str) -> str:
        return f"sosboard:meeting:{meeting_id}"

    @staticmethod
    def _presence_key(meeting_id: str) -> str:
        return f"sosboard:presence:{meeting_id}"

    @property
    def available(self) -> bool:
        """Whether Redis answered the last call (else the reader is reconnecting)."""
        return self._up

    def _went_down(self, failure: BaseException) -> None:
        if self._up:
            log.warning("broker unavailable (%s); rooms go on from the op log", type(failure).__name__)
        self._up = False

    async def _command(self, call: Callable[[], Awaitable[_T]]) -> _T:
        if not self._up:
            raise BrokerUnavailable("Redis is reconnecting.")
        try:
            return await call()
        except Exception as failure:
            self._went_down(failure)
            raise

    async def publish(self, meeting_id: str, message: str) -> None:
        await self._command(lambda: self._redis.publish(self._channel(meeting_id), message))

    def reaches_other_rooms(self, meeting_id: str, own: Subscription) -> bool:
        return True  # other processes may have a room of this meeting: only Redis knows

    @contextlib.asynccontextmanager
    async def subscribe(self, meeting_id: str) -> AsyncIterator[Subscription]:
        inbox = _Inbox()
        channel = self._channel(meeting_id)
        async with self._lock:
            if not self._inboxes[meeting_id] and self._up:
                try:
                    async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                        await self._pubsub.subscribe(channel)
                    self._subscribed.set()
                except Exception as failure:  # the reader subscribes again when Redis is back
                    self._went_down(failure)
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
                    if self._up:
                        with contextlib.suppress(Exception):
                            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                                await self._pubsub.unsubscribe(channel)

    async def _resubscribe(self) -> bool:
        """A fresh pub/sub connection subscribed to every meeting with a room here; False while Redis is down."""
        async with self._lock:
            stale, self._pubsub = self._pubsub, self._redis.pubsub(ignore_subscribe_messages=True)
            self._subscribed.clear()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    await stale.aclose()  # type: ignore[no-untyped-call]
            channels = [self._channel(meeting_id) for meeting_id in self._inboxes]
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    await self._redis.ping()
                if channels:
                    async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                        await self._pubsub.subscribe(*channels)
                    self._subscribed.set()
            except Exception:
                return False
            self._up = True
            log.warning("broker back; %d meetings subscribed again", len(channels))
            for inboxes in self._inboxes.values():
                for inbox in inboxes:
                    inbox.offer(RESUBSCRIBED)
            return True

    async def _read(self) -> None:
        prefix = len(self._channel(""))
        delay = RESUBSCRIBE_FIRST_DELAY_SECONDS
        while True:
            if not self._up:
                if not await self._resubscribe():
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RESUBSCRIBE_MAX_DELAY_SECONDS)
                    continue
                delay = RESUBSCRIBE_FIRST_DELAY_SECONDS
            if not self._subscribed.is_set():
                await self._subscribed.wait()  # a new pub/sub connection has nothing to read until a subscribe
                continue
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception as failure:  # a dropped connection: reconnect; rooms catch up on RESUBSCRIBED
                self._went_down(failure)
                continue
            if message is None or message.get("type") != "message":
                continue
            for inbox in list(self._inboxes.get(str(message["channel"])[prefix:], ())):
                inbox.offer(str(message["data"]))

    async def presence_set(self, meeting_id: str, connection_id: str, entry: dict[str, Any]) -> None:
        key = self._presence_key(meeting_id)

        async def store() -> None:
            async with self._redis.pipeline(transaction=False) as both:  # one round trip
                both.hset(key, connection_id, json.dumps(leased(entry)))
                both.expire(key, int(PRESENCE_LEASE_SECONDS * 2))
                await both.execute()

        await self._command(store)

    async def presence_remove(self, meeting_id: str, connection_id: str) -> None:
        await self._command(lambda: self._redis.hdel(self._presence_key(meeting_id), connection_id))

    async def presence_list(self, meeting_id: str) -> list[dict[str, Any]]:
        raw: dict[str, str] = await self._command(
            lambda: self._redis.hgetall(self._presence_key(meeting_id))  # type: ignore[arg-type,return-value]
        )
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
