"""The protocol `sosboard serve` runs (realtime/uvicorn_protocol.py): uvicorn's, with a lighter receive queue and
back-pressure flag. Over a real socket, what a client sends reaches the app in order and a client that stops
reading holds the server's sends back until it reads again, with nothing lost; and the pinned uvicorn uses the
queue and the flag only through what they offer."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.websockets import websockets_sansio_impl
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.uri import parse_uri

from realtime.uvicorn_protocol import BoardWebSocketProtocol, ReceiveQueue, WritableFlag
from tests.support.writes import until

CHUNK = "x" * 256 * 1024


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, port=port, ws=BoardWebSocketProtocol, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, "uvicorn listening")
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


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

    async with serving(app) as url:
        # A client that reads nothing until told to, with a small receive buffer so the server's fills soon: the
        # websockets library's own client reads on into memory, so it is driven here by its sans-I/O protocol.
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.connect(("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/"))))
            sock.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=sock)
            client = ClientProtocol(parse_uri(url), max_size=2**20)
            client.send_request(client.connect())
            writer.write(b"".join(client.data_to_send()))
            await asyncio.wait_for(client_paused.wait(), 30)
            texts: list[str] = []
            while texts[-1:] != ["end"]:
                client.receive_data(await asyncio.wait_for(reader.read(2**16), 30))
                texts += [event.data.decode() for event in client.events_received() if isinstance(event, Frame)]
            for index in range(50):
                client.send_text(f"edit {index}".encode())
            client.send_close(1000)
            writer.write(b"".join(client.data_to_send()))
            await writer.drain()
            await until(lambda: "received" in outcome, "the app to see the client leave")
            writer.close()

    assert outcome["protocol"] is BoardWebSocketProtocol
    assert outcome["held_after"] < 100  # the server's sends were held back while the client did not read
    numbers = [int(text.partition(":")[0]) for text in texts[:-1]]
    assert numbers == list(range(outcome["sent"]))
    assert all(text.partition(":")[2] == CHUNK for text in texts[:-1])
    assert outcome["received"] == [f"edit {index}" for index in range(50)]


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
