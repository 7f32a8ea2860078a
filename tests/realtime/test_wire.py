"""Event frames framed once and written as bytes (realtime/wire.py), under the pinned uvicorn: a client reads them
as the text that was sent, nothing is written once the connection is closing, and
an upgrade of uvicorn that moves what the wire reads fails here rather than silently taking the slow path."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from realtime.wire import FrameCache, UvicornWire, wire_of
from tests.support.uvicorn_server import serving

TEXTS = ["short", "é" * 200, "x" * 70_000]  # the three lengths of a frame's header, one not ASCII


def test_a_frame_is_the_websockets_librarys_own_and_kept_only_for_short_texts() -> None:
    cache = FrameCache()
    for text in TEXTS:
        assert cache.frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert cache.frame(TEXTS[0]) is cache.frame(TEXTS[0])  # framed once for every recipient
    assert cache.frame(TEXTS[2]) is not cache.frame(TEXTS[2])  # a long text is not kept


@pytest.mark.asyncio
async def test_texts_written_on_the_wire_arrive_as_sent_and_none_once_the_connection_closes() -> None:
    outcome: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        wire = wire_of(send)
        outcome["wire"] = wire
        await websocket.accept()
        assert isinstance(wire, UvicornWire)
        protocol = send.__self__
        request = protocol.request
        outcome["handshake_kept"] = (
            type(request),
            type(protocol.response),
            bool(request.headers),
            bool(scope["headers"]),
        )
        wire.forget_handshake()  # nothing of the connection needs them again: the writes and the close below
        outcome["handshake_forgotten"] = (protocol.request, protocol.response, len(request.headers), scope["headers"])
        outcome["written"] = [await wire.write(text) for text in TEXTS]
        await websocket.receive_text()  # the client says it has read them
        await websocket.close(1000)
        outcome["after_close"] = await wire.write("too late")

    async with serving(app) as url, websockets.connect(url, max_size=2**20) as client:
        received = [await asyncio.wait_for(client.recv(), 5) for _ in TEXTS]
        await client.send("read")
        with pytest.raises(websockets.ConnectionClosedOK):
            await asyncio.wait_for(client.recv(), 5)
    assert received == TEXTS
    assert outcome["handshake_kept"] == (websockets.http11.Request, websockets.http11.Response, True, True)
    # The request itself stays referenced by the websockets library's parser; its headers are what weighed.
    assert outcome["handshake_forgotten"] == (None, None, 0, [])
    assert outcome["written"] == [True, True, True]
    assert outcome["after_close"] is False


@pytest.mark.asyncio
async def test_texts_written_together_arrive_as_sent_each_its_own_message() -> None:
    outcome: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        wire = wire_of(send)
        await websocket.accept()
        assert wire is not None
        outcome["written"] = wire.write_now_together(TEXTS)
        await websocket.receive_text()
        await websocket.close(1000)

    async with serving(app) as url, websockets.connect(url, max_size=2**20) as client:
        received = [await asyncio.wait_for(client.recv(), 5) for _ in TEXTS]
        await client.send("read")
    assert outcome["written"] is True
    assert received == TEXTS
