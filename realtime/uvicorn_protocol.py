"""The websocket protocol `sosboard serve` runs under uvicorn: uvicorn's websockets-sansio protocol, with lighter
parts for what every connection holds for as long as it is open.

A board connection stays open for a whole conference, mostly idle. uvicorn gives each one an `asyncio.Queue` for
what it receives and an `asyncio.Event` for back-pressure: five deques (a Queue keeps three and an Event of its
own, every Event one), each with a block of 64 slots. Here they are a list and a waiting future made only while
someone waits: the same behaviour for the one reader an ASGI connection has, and for uvicorn's sends. With 4,000
sockets open, an idle connection went from 24.7 to 20.6 KiB of resident memory.

uvicorn uses `queue` only through `put_nowait`, `get` and `empty`, and `writable` only through `set`, `clear`,
`is_set` and `wait`; tests/realtime/test_uvicorn_protocol.py reads the pinned uvicorn's source and fails if an
upgrade uses them otherwise. The keepalive sweep also reads uvicorn's `read_paused` (set while the app has not taken
a frame); a test over a real socket fails if an upgrade changes what it means.

What the app writes (its frames and the keepalive's pings) goes straight to the socket with the interpreter lock
given up, while the transport holds nothing for it (`BoardWebSocketProtocol._send`); uvicorn's own writes (the
handshake, pongs, the close) go through the transport, and a frame after them waits its turn there.
"""

from __future__ import annotations

import asyncio
import os
import struct
import weakref
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from realtime.protocol import CloseCode

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


KEEPALIVE_TICK_SECONDS = 0.25
"""How often the process's keepalive sweep runs. A ping is owed from the last sweep before it is due and goes with
the next frame written or alone at the next sweep (at most this much early or late), and an unanswered one is
closed at the sweep nearest its timeout, so a dead connection still goes about `ws_ping_seconds +
ws_ping_timeout_seconds` after the last thing it sent (docs/protocol.md)."""


class KeepaliveSweep:
    """Every board connection of a process pinged by one repeating timer, instead of uvicorn's two timers per ping
    per connection (a TimerHandle kept by every idle connection, a random payload and a frame built per ping, a
    timer cancelled and another scheduled per pong): with thousands of connections open, their keepalive was a
    tenth of the server's work. Each sweep has one payload and one framed ping, written as is to every connection
    due for a ping, and closes (1011, as uvicorn does) those whose last ping went unanswered too long.

    A ping due goes out with the next frame the connection is sent, in the same write (under load a listener is
    sent several events a second, and each write is a system call: under bench.compare's A the pings written on
    their own were 5.5% of the event loop's work; at 800 edits/s taking them along left 2,540 of 18,870 writes a
    second unmade), or alone at the next sweep.

    A connection is due a ping once the server has heard nothing from it for a ping interval: any bytes read from
    its socket prove the link as a pong does. In a quiet meeting a board page pings every second of its own, so its
    connection needs no ping from the server; a silent device is pinged an interval after its last pong, as
    before; a dead one is closed as soon as before, counted from the last thing it sent. With 4,000 screens in
    quiet meetings a process wrote some 2,700 pings a second and parsed as many pongs, each proving what the pages'
    own pings already had."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._members: dict[BoardWebSocketProtocol, None] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._sweeps = 0

    def add(self, protocol: BoardWebSocketProtocol) -> None:
        self._members[protocol] = None
        if self._timer is None:
            self._timer = self._loop.call_later(KEEPALIVE_TICK_SECONDS, self._sweep)

    def discard(self, protocol: BoardWebSocketProtocol) -> None:
        self._members.pop(protocol, None)

    def __len__(self) -> int:
        return len(self._members)

    def _sweep(self) -> None:
        if not self._members:
            self._timer = None  # started again by the next connection
            return
        self._timer = self._loop.call_later(KEEPALIVE_TICK_SECONDS, self._sweep)
        self._sweeps = (self._sweeps + 1) % 2**32
        payload = struct.pack("!I", self._sweeps)
        framed = Frame(Opcode.PING, payload).serialize(mask=False, extensions=[])
        now = self._loop.time()
        due_by = now + KEEPALIVE_TICK_SECONDS  # due before the next sweep: ping now
        # Half a tick either side: a ping waits its timeout give or take an eighth of a second, not a whole tick more.
        unanswered_since = now + KEEPALIVE_TICK_SECONDS / 2
        for protocol in list(self._members):
            try:
                if protocol.pending_ping_payload is not None:
                    # While the app has not taken the device's last frame (its edits wait for their commits),
                    # uvicorn reads nothing more from its socket, so its answer may be there, unread: not a dead
                    # device. It is timed again once its frames are read (docs/protocol.md).
                    late = unanswered_since - protocol.ping_sent_at >= (protocol.ping_timeout or 0.0)
                    if late and not protocol.read_paused:
                        self.discard(protocol)
                        protocol.keepalive_timeout()
                elif protocol.owed_ping is not None:
                    # Due since the last sweep, and no frame to the device has taken it along: it goes alone.
                    protocol.ping(*protocol.owed_ping, now)
                elif max(protocol.next_ping_at, protocol.heard_at + (protocol.ping_interval or 0.0)) <= due_by:
                    protocol.owed_ping = (payload, framed)
            except Exception:
                # A transport closed under its protocol (uvloop raises on a write): that connection's own loss
                # ends it; the sweep goes on for the others.
                self.discard(protocol)


_SWEEPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, KeepaliveSweep] = weakref.WeakKeyDictionary()


def keepalive_sweep(loop: asyncio.AbstractEventLoop) -> KeepaliveSweep:
    sweep = _SWEEPS.get(loop)
    if sweep is None:
        sweep = _SWEEPS[loop] = KeepaliveSweep(loop)
    return sweep


def _plain_socket_fd(transport: asyncio.BaseTransport) -> int | None:
    """The descriptor of the transport's socket when bytes written to it reach the client as they are: never under
    TLS (asyncio's and uvloop's TLS transports both name their `ssl_object`), whose records only the transport
    makes."""
    if transport.get_extra_info("ssl_object") is not None:
        return None
    sock = transport.get_extra_info("socket")
    return None if sock is None else int(sock.fileno())


class BoardWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with the lighter queue and flag above, and its keepalive pings sent by
    the process's sweep (`sosboard serve` passes it as uvicorn's `ws`). The keepalive keeps uvicorn's rule: a
    ping `ws_ping_interval` after the last answered one was sent, and a close with 1011 if an answer takes longer
    than `ws_ping_timeout`."""

    # Every attribute uvicorn's protocol sets, and ours. In the instance dict they were 38 keys, past the 30 that
    # an instance may share with its class, so each connection kept a dict of its own (1.6 KiB); a slot is 8 bytes.
    # An attribute a later uvicorn adds only goes back to the dict (a test lists them against this).
    __slots__ = (
        "app",
        "app_state",
        "asgi_version",
        "client",
        "close_sent",
        "close_timeout",
        "close_timer",
        "config",
        "conn",
        "connections",
        "curr_msg_data_type",
        "default_headers",
        "direct_fd",
        "disconnected",
        "frames",
        "handshake_complete",
        "handshake_initiated",
        "heard_at",
        "initial_response",
        "last_ping_rtt",
        "logger",
        "loop",
        "next_ping_at",
        "owed_ping",
        "pending_ping_payload",
        "ping_interval",
        "ping_sent_at",
        "ping_timeout",
        "ping_timer",
        "pong_timer",
        "queue",
        "read_paused",
        "request",
        "response",
        "root_path",
        "scheme",
        "scope",
        "server",
        "tasks",
        "transport",
        "writable",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = ReceiveQueue()  # type: ignore[assignment]
        self.writable = WritableFlag()  # type: ignore[assignment]
        self.next_ping_at = 0.0
        self.heard_at = 0.0
        """When the server last read anything from the device (the keepalive's proof of the link)."""
        self.owed_ping: tuple[bytes, bytes] | None = None
        """A ping due (its payload and its frame), to go with the next frame written, or alone at the next sweep."""
        self.direct_fd: int | None = None
        """The socket's descriptor, when what is written may go to it directly (see `_send`)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.direct_fd = _plain_socket_fd(transport)

    def data_received(self, data: bytes) -> None:
        self.heard_at = self.loop.time()
        super().data_received(data)

    def start_keepalive(self) -> None:
        if self.ping_interval is not None and self.ping_interval > 0 and self.ping_timeout is not None:
            self.next_ping_at = self.loop.time() + self.ping_interval
            keepalive_sweep(self.loop).add(self)
        else:
            super().start_keepalive()

    def stop_keepalive(self) -> None:
        keepalive_sweep(self.loop).discard(self)
        super().stop_keepalive()

    def ping(self, payload: bytes, framed: bytes, now: float) -> None:
        self.owed_ping = None
        if self.close_sent or self.transport.is_closing() or self.conn.state is not State.OPEN:
            return
        self.pending_ping_payload = payload
        self.ping_sent_at = now
        self._send(framed)

    def write_frame(self, framed: bytes) -> None:
        """Write a frame (the caller has checked the connection is open), after the ping owed, if one is."""
        owed = self.owed_ping
        if owed is not None:
            self.owed_ping = None
            self.pending_ping_payload = owed[0]
            self.ping_sent_at = self.loop.time()
            framed = owed[1] + framed
        self._send(framed)

    def _send(self, data: bytes) -> None:
        """Write `data` to the socket now when nothing waits in the transport's buffer, and hand the transport what
        the socket did not take (or all of it, when something waits there: the order stays the bytes' order).

        Why: uvloop's write makes its system call (at once, when it holds nothing for the socket) holding the
        interpreter lock throughout; on loopback each such call also runs the receiver's side of TCP. At shape A
        (19,000 deliveries a second) those calls were 42% of the event loop's thread's time, time in which SQLite's
        writer thread could not run a line of Python. `os.write` gives the lock up for the call. One process on
        SQLite at A, four pairs of runs alternating with uvloop's writes: p99 47-53 ms against 54-116 ms."""
        fd = self.direct_fd
        if fd is None or self.transport.get_write_buffer_size():
            self.transport.write(data)
            return
        try:
            written = os.write(fd, data)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError:  # the connection failed: the transport's own write meets the same error and closes it
            self.transport.write(data)
            return
        if written < len(data):
            self.transport.write(data[written:])

    def shutdown(self) -> None:
        """The server stopping (SIGTERM, a deploy): close with going_away (1001), the code docs/protocol.md names for
        it, where uvicorn's protocol says 1012 (service restart), which no client of ours is told to expect."""
        if not self.handshake_complete or self.close_sent:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": CloseCode.going_away})
        self.conn.send_close(CloseCode.going_away, "The server is restarting; reconnect.")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    def handle_pong(self, event: Frame) -> None:
        if self.pending_ping_payload is None or event.data != self.pending_ping_payload:
            return  # unsolicited, or the answer to an older ping
        self.last_ping_rtt = self.loop.time() - self.ping_sent_at
        self.pending_ping_payload = None
        self.next_ping_at = self.ping_sent_at + (self.ping_interval or 0.0)
        # The answer times the next ping from when this one went, as ever: counted as heard now, it would put the
        # next one a round trip later each time, and past a sweep now and then (a tick late).
        self.heard_at = min(self.heard_at, self.ping_sent_at)
