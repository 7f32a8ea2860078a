"""The protocol `sosboard serve` runs (realtime/uvicorn_protocol.py): uvicorn's, with a lighter receive queue and
back-pressure flag. Over a real socket, what a client sends reaches the app in order and a client that stops
reading holds the server's sends back until it reads again, with nothing lost; and the pinned uvicorn uses the
queue and the flag only through what they offer."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import itertools
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.websockets import websockets_sansio_impl
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from realtime.uvicorn_protocol import (
    KEEPALIVE_TICK_SECONDS,
    BoardWebSocketProtocol,
    ReceiveQueue,
    WritableFlag,
    keepalive_sweep,
)
from realtime.wire import wire_of
from tests.support.uvicorn_server import serving
from tests.support.writes import until

CHUNK = "x" * 256 * 1024


@contextlib.asynccontextmanager
async def raw_client(
    url: str, receive_buffer: int | None = None
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter, ClientProtocol]]:
    """A websocket client that does only what the test tells it (the websockets library's own client reads on
    into memory and answers pings by itself): its sans-I/O protocol over a plain socket, handshake sent."""
    with socket.socket() as sock:
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect(("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/"))))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock)
        client = ClientProtocol(parse_uri(url), max_size=2**20)
        client.send_request(client.connect())
        writer.write(b"".join(client.data_to_send()))
        try:
            yield reader, writer, client
        finally:
            writer.close()


async def events_of(reader: asyncio.StreamReader, client: ClientProtocol) -> list[Any]:
    data = await asyncio.wait_for(reader.read(2**16), 10)
    if not data:
        client.receive_eof()
    else:
        client.receive_data(data)
    return list(client.events_received())


def test_the_pinned_uvicorn_uses_the_queue_and_the_flag_only_through_what_they_offer() -> None:
    offered = {
        "queue": {name for name in vars(ReceiveQueue) if not name.startswith("_")},
        "writable": {name for name in vars(WritableFlag) if not name.startswith("_")},
    }
    tree = ast.parse(inspect.getsource(websockets_sansio_impl))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    used: dict[str, set[str]] = {"queue": set(), "writable": set()}
    for node in ast.walk(tree):
        is_ours = isinstance(node, ast.Attribute) and node.attr in used and isinstance(node.value, ast.Name)
        if not is_ours or not isinstance(node.ctx, ast.Load):
            continue
        parent = parents[node]
        # Only as `self.queue.method`: never passed on, compared or iterated, which a method list would not show.
        assert isinstance(parent, ast.Attribute), f"uvicorn uses self.{node.attr} other than through a method"
        used[node.attr].add(parent.attr)
    assert used["queue"] and used["writable"]
    assert used["queue"] <= offered["queue"], used["queue"] - offered["queue"]
    assert used["writable"] <= offered["writable"], used["writable"] - offered["writable"]


def test_every_attribute_set_on_a_connection_lives_in_a_slot() -> None:
    """In an instance dict, past the 30 keys a dict may share with its class, they cost each idle connection
    1.6 KiB of its own; an attribute that a uvicorn upgrade, or our subclass, adds would quietly go back to such a
    dict."""
    set_on_self = {
        node.attr
        for source in (inspect.getsource(websockets_sansio_impl), inspect.getsource(BoardWebSocketProtocol))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }
    assert {"transport", "next_ping_at"} <= set_on_self  # the scan sees uvicorn's assignments and ours
    assert set_on_self <= set(BoardWebSocketProtocol.__slots__), set_on_self - set(BoardWebSocketProtocol.__slots__)


@pytest.mark.asyncio
async def test_a_client_that_stops_reading_holds_the_sends_back_and_then_gets_every_one_in_order() -> None:
    client_paused = asyncio.Event()
    outcome: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        protocol = send.__self__
        outcome["protocol"] = type(protocol)
        sent = 0
        while protocol.writable.is_set() and sent < 100:  # 25 MB at most: the buffers fill long before
            await websocket.send_text(f"{sent}:{CHUNK}")
            sent += 1
        outcome["held_after"] = sent
        client_paused.set()
        for _ in range(3):  # each waits until the client has read enough
            await websocket.send_text(f"{sent}:{CHUNK}")
            sent += 1
        outcome["sent"] = sent
        await websocket.send_text("end")
        received = []
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                received.append(await websocket.receive_text())
        outcome["received"] = received

    async with serving(app) as url, raw_client(url, receive_buffer=64 * 1024) as (reader, writer, client):
        # It reads nothing until told to, with a small receive buffer so the server's fills soon.
        await asyncio.wait_for(client_paused.wait(), 30)
        texts: list[str] = []
        while texts[-1:] != ["end"]:
            texts += [event.data.decode() for event in await events_of(reader, client) if isinstance(event, Frame)]
        for index in range(50):
            client.send_text(f"edit {index}".encode())
        client.send_close(1000)
        writer.write(b"".join(client.data_to_send()))
        await writer.drain()
        await until(lambda: "received" in outcome, "the app to see the client leave")

    assert outcome["protocol"] is BoardWebSocketProtocol
    assert outcome["held_after"] < 100  # the server's sends were held back while the client did not read
    numbers = [int(text.partition(":")[0]) for text in texts[:-1]]
    assert numbers == list(range(outcome["sent"]))
    assert all(text.partition(":")[2] == CHUNK for text in texts[:-1])
    assert outcome["received"] == [f"edit {index}" for index in range(50)]


@pytest.mark.asyncio
async def test_frames_written_faster_than_the_client_reads_arrive_whole_and_in_order() -> None:
    """The wire's frames go straight to the socket while nothing waits in the transport's buffer; what the socket
    does not take, the rest of a frame included, goes to the transport, and so does every frame after it until the
    buffer has drained. Frames of every size written faster than a client reads (both sockets' buffers small, the
    transport's limit high so that nothing holds the writes back) all arrive, whole, in the order written, with
    keepalive pings in among them."""
    outcome: dict[str, Any] = {"buffered": 0}
    sizes = itertools.cycle([10, 200, 70_000, 3, 30_000])  # frame headers of each length, and partial writes

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        wire = wire_of(send)
        await websocket.accept()
        assert wire is not None
        protocol = send.__self__
        protocol.transport.set_write_buffer_limits(high=2**26)
        protocol.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
        outcome["direct"] = protocol.direct_fd is not None
        texts = [f"{index}:" + "y" * next(sizes) for index in range(300)]
        for index, text in enumerate(texts):
            if index % 7 == 0:
                payload = b"p%d" % index
                protocol.owed_ping = (payload, Frame(Opcode.PING, payload).serialize(mask=False, extensions=[]))
            assert wire.write_now(text)
            outcome["buffered"] = max(outcome["buffered"], protocol.transport.get_write_buffer_size())
            await asyncio.sleep(0)  # a turn of the loop: the transport writes out what it holds when it can
        outcome["texts"] = texts
        assert wire.write_now("end")
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    async with serving(app) as url, raw_client(url, receive_buffer=64 * 1024) as (reader, writer, client):
        received: list[str] = []
        pings = 0
        while received[-1:] != ["end"]:
            for event in await events_of(reader, client):
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    received.append(event.data.decode())
                elif isinstance(event, Frame) and event.opcode is Opcode.PING:
                    pings += 1
        client.send_close(1000)
        writer.write(b"".join(client.data_to_send()))
        await writer.drain()

    assert outcome["direct"] is True
    assert outcome["buffered"] > 0  # the socket did not take everything: the transport held some
    assert received[:-1] == outcome["texts"]
    assert pings == len(range(0, 300, 7))


@pytest.mark.asyncio
async def test_a_reader_waits_for_the_next_message_and_one_that_gives_up_loses_nothing() -> None:
    queue: ReceiveQueue[str] = ReceiveQueue()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait("first")
    queue.put_nowait("second")
    assert await waiting == "first"
    assert await queue.get() == "second"
    assert queue.empty()

    gave_up = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    queue.put_nowait("third")
    assert await queue.get() == "third"


@pytest.mark.asyncio
async def test_a_second_reader_at_the_same_time_is_refused() -> None:
    queue: ReceiveQueue[str] = ReceiveQueue()
    first = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one reader"):
        await queue.get()
    queue.put_nowait("for the first")
    assert await first == "for the first"


@pytest.mark.asyncio
async def test_sends_wait_while_the_buffer_is_full_and_all_go_on_when_it_has_room() -> None:
    writable = WritableFlag()
    assert await writable.wait() is True
    writable.clear()
    waiting = [asyncio.create_task(writable.wait()) for _ in range(3)]
    gave_up = asyncio.create_task(writable.wait())
    await asyncio.sleep(0)
    assert not any(task.done() for task in [*waiting, gave_up])
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    writable.set()
    assert await asyncio.gather(*waiting) == [True, True, True]
    assert writable.is_set()


PING_SECONDS = 0.5
PING_TIMEOUT_SECONDS = 0.75


async def _held_open(scope: dict[str, Any], receive: Any, send: Any) -> None:
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


@pytest.mark.asyncio
async def test_a_device_that_answers_pings_stays_connected_and_is_pinged_every_interval() -> None:
    async with (
        serving(_held_open, PING_SECONDS, PING_TIMEOUT_SECONDS) as url,
        raw_client(url) as (reader, writer, client),
    ):
        pings: list[float] = []
        loop = asyncio.get_running_loop()
        while len(pings) < 5:
            for event in await events_of(reader, client):
                assert not (isinstance(event, Frame) and event.opcode is Opcode.CLOSE), event
                if isinstance(event, Frame) and event.opcode is Opcode.PING:
                    pings.append(loop.time())
            writer.write(b"".join(client.data_to_send()))  # the pongs the protocol made
        assert client.state is State.OPEN
    _pinged_every_interval(pings)


def _pinged_every_interval(pings: list[float]) -> None:
    """A ping is owed from the last sweep before it is due and goes with the next frame or at the next sweep, so
    the same way every time: the gaps are the interval, give or take how late the loop runs (a busy CI machine: a
    tick of slack), far from a missed interval."""
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    assert all(
        PING_SECONDS - KEEPALIVE_TICK_SECONDS - 0.05 <= gap <= PING_SECONDS + KEEPALIVE_TICK_SECONDS for gap in gaps
    ), gaps


@pytest.mark.asyncio
async def test_a_device_that_sends_frames_of_its_own_is_not_pinged_until_it_falls_silent() -> None:
    # A board page sends a frame after a second of quiet; the link it proves needs no ping of the server's.
    interval = 1.0
    async with (
        serving(_held_open, interval, interval) as url,
        raw_client(url) as (reader, writer, client),
    ):
        while client.state is not State.OPEN:
            await events_of(reader, client)
        talking: list[Frame] = []
        for _ in range(15):  # three intervals, a frame every fifth of one
            client.send_text(b"still here")
            writer.write(b"".join(client.data_to_send()))
            talking += await _frames_for(interval / 5, reader, client)
            writer.write(b"".join(client.data_to_send()))
        assert talking == []
        silent = await _frames_for(interval + 2 * KEEPALIVE_TICK_SECONDS, reader, client)
        assert [frame.opcode for frame in silent] == [Opcode.PING]
        writer.write(b"".join(client.data_to_send()))  # its pong: answered, it stays
        assert client.state is State.OPEN


async def _chatty(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Sends the device a frame every 50 ms on the wire the rooms use (realtime/wire.py), as a busy room would."""
    websocket = WebSocket(scope, receive, send)
    wire = wire_of(send)
    assert wire is not None
    await websocket.accept()
    while True:
        if not await wire.write("an event"):
            return  # the device went away
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_a_device_sent_frames_all_the_time_is_pinged_every_interval_each_ping_written_with_a_frame() -> None:
    async with (
        serving(_chatty, PING_SECONDS, PING_TIMEOUT_SECONDS) as url,
        raw_client(url) as (reader, writer, client),
    ):
        loop = asyncio.get_running_loop()
        pings: list[float] = []
        while len(pings) < 4:
            chunk = await events_of(reader, client)  # what one read of the socket brought
            frames = [event for event in chunk if isinstance(event, Frame)]
            for index, frame in enumerate(frames):
                assert frame.opcode is not Opcode.CLOSE, frame
                if frame.opcode is Opcode.PING:
                    pings.append(loop.time())
                    # Written in one write with the frame after it, so they arrive together.
                    assert [f.opcode for f in frames[index + 1 : index + 2]] == [Opcode.TEXT], frames
            writer.write(b"".join(client.data_to_send()))  # the pongs the protocol made
        assert client.state is State.OPEN
    _pinged_every_interval(pings)


@pytest.mark.asyncio
async def test_a_device_that_stops_answering_is_closed_1011_once_its_ping_has_waited_the_timeout() -> None:
    async with (
        serving(_held_open, PING_SECONDS, PING_TIMEOUT_SECONDS) as url,
        raw_client(url) as (reader, _writer, client),
    ):
        loop = asyncio.get_running_loop()
        first_ping: float | None = None
        closed_at: float | None = None
        while closed_at is None:  # reads on, and never sends the pongs the protocol makes
            for event in await events_of(reader, client):
                if isinstance(event, Frame) and event.opcode is Opcode.PING and first_ping is None:
                    first_ping = loop.time()
                if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    closed_at = loop.time()
        assert first_ping is not None
        assert client.close_rcvd is not None and client.close_rcvd.code == 1011
        waited = closed_at - first_ping
        assert (
            PING_TIMEOUT_SECONDS - KEEPALIVE_TICK_SECONDS <= waited <= PING_TIMEOUT_SECONDS + 3 * KEEPALIVE_TICK_SECONDS
        ), waited


async def _frames_for(
    seconds: float, reader: asyncio.StreamReader, client: ClientProtocol, answer_on: asyncio.StreamWriter | None = None
) -> list[Frame]:
    """What the server sends within `seconds`, each ping answered by a pong the protocol makes: written on
    `answer_on` as soon as it is made, as a device does, or left for the caller to write."""
    loop = asyncio.get_running_loop()
    until_then, frames = loop.time() + seconds, []
    while (left := until_then - loop.time()) > 0:
        with contextlib.suppress(TimeoutError):
            data = await asyncio.wait_for(reader.read(2**16), left)
            if not data:  # the server closed the connection
                client.receive_eof()
                return [*frames, *(event for event in client.events_received() if isinstance(event, Frame))]
            client.receive_data(data)
            if answer_on is not None:
                answer_on.write(b"".join(client.data_to_send()))
        frames += [event for event in client.events_received() if isinstance(event, Frame)]
    return frames


@pytest.mark.asyncio
async def test_a_device_whose_last_frame_the_app_has_not_taken_is_not_closed_for_answers_left_unread() -> None:
    # While the app has not taken a device's last frame (on the board: its edits wait for their commits), uvicorn
    # reads nothing more from its socket, so the device's answers to pings wait there unread. Closing it 1011 for
    # that dropped writers whose commits fell behind; once its frames are read again, it is timed as any other.
    take, taken = asyncio.Event(), asyncio.Event()

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await take.wait()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()
                taken.set()

    async with (
        serving(slow_app, PING_SECONDS, PING_TIMEOUT_SECONDS) as url,
        raw_client(url) as (reader, writer, client),
    ):
        try:
            while client.state is not State.OPEN:
                await events_of(reader, client)
            client.send_text(b"an edit")
            writer.write(b"".join(client.data_to_send()))
            waiting = await _frames_for(2 * (PING_SECONDS + PING_TIMEOUT_SECONDS), reader, client)
            writer.write(b"".join(client.data_to_send()))  # its answers, which the server does not read yet
            assert [f.opcode for f in waiting] == [Opcode.PING]  # pinged, and never closed while unread
        finally:
            take.set()  # the app goes on whatever happened, so the server can stop
        await asyncio.wait_for(taken.wait(), 10)
        # read again: its answer counts, and it is pinged and kept as any device that answers (at once: an answer
        # written only at the end of a window as long as the timeout could come late on a loaded machine)
        after = await _frames_for(3 * (PING_SECONDS + KEEPALIVE_TICK_SECONDS), reader, client, answer_on=writer)
        assert len(after) >= 2 and all(f.opcode is Opcode.PING for f in after), after
        assert client.state is State.OPEN


@pytest.mark.asyncio
async def test_connections_that_end_leave_the_keepalive_sweep() -> None:
    async with serving(_held_open, PING_SECONDS, PING_TIMEOUT_SECONDS) as url:
        for _ in range(3):
            async with raw_client(url) as (reader, writer, client):
                while client.state is not State.OPEN:
                    await events_of(reader, client)
                client.send_close(1000)
                writer.write(b"".join(client.data_to_send()))
                while client.state is not State.CLOSED:
                    await events_of(reader, client)
        sweep = keepalive_sweep(asyncio.get_running_loop())
        await until(lambda: len(sweep) == 0, "the closed connections to leave the sweep")
