"""`/ws/meetings/{id}`: authenticate and check Origin on the upgrade, before accepting; then hand the socket,
as a Channel, to the meeting's room.

The path is served ahead of the HTTP app's middleware and routing (app.main.BoardApp): a board
connection lives for hours, and each layer of FastAPI's stack (error and exception middlewares, the body limit,
route wrappers, exit stacks) would hold coroutine frames for every open connection for all that time, about a
third of an idle connection's memory, and costs work on every connect. None of them does anything for it: the
handshake's refusals are answered here, and a websocket has no HTTP response to put headers on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from fastapi.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.api.sessions import session_cookie_name
from app.domain.errors import DomainError, MeetingNotFound, NotSignedIn
from app.services import Services
from app.store.tokens import hash_token
from realtime.wire import UvicornWire

BOARD_SOCKET_PATH = re.compile(r"/ws/meetings/(?P<meeting_id>[^/]+)")


class WebSocketChannel:
    def __init__(self, websocket: WebSocket, wire: UvicornWire | None = None) -> None:
        self.websocket = websocket
        self.wire = wire

    async def send(self, text: str) -> None:
        if self.wire is None or not await self.wire.write(text):
            await self.websocket.send_text(text)  # raises as a closed connection should

    def send_now(self, text: str) -> bool:
        return self.wire is not None and self.wire.write_now(text)

    def send_now_together(self, texts: list[str]) -> bool:
        return self.wire is not None and self.wire.write_now_together(texts)

    async def close(self, code: int, reason: str) -> None:
        await self.websocket.close(code, reason)

    async def __aiter__(self) -> AsyncIterator[str]:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
                yield text
        except WebSocketDisconnect:
            return


def origin_allowed(websocket: WebSocket, allowed: list[str], secure: bool) -> bool:
    """Exactly the app's own origin (scheme, host and port), or one named in the allow-list. Browsers always send
    Origin on a websocket upgrade; a page on another site trying to ride the family's cookie (cross-site websocket
    hijacking) is refused here. The scheme counts too: an http page is not the https app's (behind TLS, `secure`,
    the app's pages are https whatever scheme the proxy forwards), and an Origin with a path, user info or
    anything else no browser sends is nobody's."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is None or host is None:
        return False
    if origin in allowed:
        return True
    scheme = "https" if secure or websocket.url.scheme == "wss" else "http"
    return origin.lower() == f"{scheme}://{host}".lower()


async def _deny(websocket: WebSocket, status: int, code: str, message: str) -> None:
    await websocket.send_denial_response(
        JSONResponse(
            {"error": {"code": code, "message": message}}, status_code=status, headers={"Cache-Control": "no-store"}
        )
    )


def _since(websocket: WebSocket) -> int | None:
    """The `since` query parameter: an integer >= 0, or None when absent. ValueError when it is anything else."""
    values = websocket.query_params.getlist("since")
    if not values:
        return None
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
        raise ValueError("since must be one integer >= 0")
    return int(values[0])


def _forget_request(websocket: WebSocket) -> None:
    """What Starlette parsed from the upgrade request (its URL, headers, cookies and query) stays on the WebSocket
    for the connection's life, though nothing reads it after the handshake: let it go."""
    for parsed in ("_url", "_headers", "_cookies", "_query_params"):
        websocket.__dict__.pop(parsed, None)


async def board_socket(
    websocket: WebSocket, services: Services, meeting_id: str, wire: UvicornWire | None = None
) -> None:
    """One board connection, from the upgrade request to its close. `wire`: see realtime/wire.py."""
    try:
        since = _since(websocket)
    except ValueError:
        # A client's bug, not a refusal of the person: 403 with an empty body (docs/protocol.md), no-store as every
        # answer to an upgrade.
        await websocket.send_denial_response(Response(status_code=403, headers={"Cache-Control": "no-store"}))
        return
    if not origin_allowed(websocket, services.settings.allowed_origins, services.settings.secure_cookies):
        await _deny(websocket, 403, "origin_not_allowed", "This page may not connect to the board.")
        return
    token = websocket.cookies.get(session_cookie_name(meeting_id))
    try:
        meeting, participant, session_ends = await services.meetings.signed_in_meeting(meeting_id, token)
    except NotSignedIn as refusal:
        await _deny(websocket, 401, refusal.code, refusal.message)
        return
    except MeetingNotFound as refusal:
        await _deny(websocket, 404, refusal.code, refusal.message)
        return
    except DomainError as refusal:
        await _deny(websocket, 403, refusal.code, refusal.message)
        return
    if meeting.status != "open":
        # Opening a finalised meeting reads the record, so the audit trail says who did. Connections to an open
        # meeting are not recorded one by one: a room reconnecting after a blip must stay cheap.
        await services.audit.read(meeting_id, participant, via="websocket")
    no_room = services.connections.reserve(meeting_id, participant.id)
    if no_room is not None:
        await _deny(websocket, 429, no_room.code, no_room.message)
        return
    try:
        await websocket.accept()
        _forget_request(websocket)
        if wire is not None:
            wire.forget_handshake()
        session_key = hash_token(token or "")
        # This frame lives as long as the connection: keep only what serving it needs.
        del meeting, token
        async with services.rooms.room(meeting_id) as room:
            await room.serve(WebSocketChannel(websocket, wire), participant, session_key, since, session_ends)
    finally:
        services.connections.release(meeting_id, participant.id)
