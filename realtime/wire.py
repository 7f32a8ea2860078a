"""Event frames written to the socket as bytes framed once, instead of once per recipient.

An event goes to every screen of its audience as the same text, and a server's websocket frames are not masked,
so the frame on the wire is the same bytes for all of them. Through ASGI each `send` frames its text again
(Starlette's state checks, uvicorn's send, the websockets library building and serializing a Frame), which the
benchmark put at most of the server's Python work per delivery. `UvicornWire` frames a text once (with the
websockets library's own Frame, as uvicorn would) and writes those bytes to each connection's transport, after
the same checks uvicorn's `send` makes: wait while the transport's buffer is full, nothing once the connection is
closing. Anywhere it cannot (another server, another websocket implementation, a connection past its handshake's
end) the caller sends through ASGI as before.

On `sosboard serve`'s protocol (realtime/uvicorn_protocol.py) a frame goes through its `write_frame`, which takes
the keepalive's ping along when one is owed. It reads four attributes of uvicorn's `websockets-sansio` protocol
(`transport`, `writable`, `close_sent`, `disconnected`) and the websockets connection's `state`, and clears three
(`request`, `response` and the scope's `headers`, once the handshake is complete); tests/realtime/test_wire.py
fails if an upgrade of the pinned uvicorn changes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from realtime.uvicorn_protocol import BoardWebSocketProtocol

CACHED_TEXT_CHARS = 4096
"""Frames of texts up to this long are kept for the next recipient: events. A hello, made for one screen, is not."""
CACHED_FRAMES = 512


class FrameCache:
    """The wire bytes of recent texts, by the text itself (a str caches its hash, so a lookup is cheap)."""

    def __init__(self) -> None:
        self._frames: dict[str, bytes] = {}

    def frame(self, text: str) -> bytes:
        framed = self._frames.get(text)
        if framed is None:
            framed = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
            if len(text) <= CACHED_TEXT_CHARS:
                if len(self._frames) >= CACHED_FRAMES:
                    del self._frames[next(iter(self._frames))]  # the oldest
                self._frames[text] = framed
        return framed


FRAMES = FrameCache()
"""One per process: every room's events share it (each room's event texts differ)."""


class UvicornWire:
    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    async def write(self, text: str) -> bool:
        """Write `text` as one frame; False (nothing written) when the connection is not open for it."""
        if not self._protocol.writable.is_set():
            await self._protocol.writable.wait()  # the client reads slowly: wait, as uvicorn's send does
        return self.write_now(text)

    def forget_handshake(self) -> None:
        """Once the connection is accepted, drop the handshake's headers, which the connection keeps for its life
        though nothing reads them again: uvicorn's protocol holds the request and the response, the websockets
        library's parser (a generator, suspended for the connection's life) the request too, and the ASGI scope
        (shared with Starlette's WebSocket) a list of them. Dropping them took an idle connection from 28.5 to 24.7 KiB
        (resident memory, 4,000 sockets)."""
        protocol = self._protocol
        if protocol.handshake_complete:
            protocol.request.headers.clear()  # the parser's reference to the same request stays; its headers go
            protocol.request = None  # type: ignore[assignment]
            protocol.response = None  # type: ignore[assignment]
            protocol.scope["headers"].clear()  # type: ignore[attr-defined]

    def write_now(self, text: str) -> bool:
        """Write `text` as one frame if the transport takes it now; False (nothing written) when its buffer is full
        (the client reads slowly) or the connection is not open for it."""
        if not self._open_for_writing():
            return False
        self._write(FRAMES.frame(text))
        return True

    def write_now_together(self, texts: list[str]) -> bool:
        """`write_now` for several texts, a frame each, in one write."""
        if not self._open_for_writing():
            return False
        self._write(b"".join([FRAMES.frame(text) for text in texts]))
        return True

    def _open_for_writing(self) -> bool:
        """Whether the transport takes a write now (checked before any framing: a slow reader's frames go to its
        backlog, framed when they are sent)."""
        protocol = self._protocol
        if not protocol.writable.is_set():
            return False
        if protocol.disconnected or protocol.close_sent or protocol.conn.state is not State.OPEN:
            return False
        # A transport closed under the protocol (a reset read by the loop) before uvicorn hears of it: uvloop's
        # write would raise.
        return not protocol.transport.is_closing()

    def _write(self, framed: bytes) -> None:
        protocol = self._protocol
        if isinstance(protocol, BoardWebSocketProtocol):
            protocol.write_frame(framed)  # with the keepalive's ping, when one is owed
        else:
            protocol.transport.write(framed)


def wire_of(asgi_send: Callable[[Any], Any]) -> UvicornWire | None:
    """The wire under an ASGI `send`, when it is uvicorn's websockets-sansio protocol."""
    protocol = getattr(asgi_send, "__self__", None)
    return UvicornWire(protocol) if isinstance(protocol, WebSocketsSansIOProtocol) else None
