"""`/ws/meetings/{id}`: authenticate and check Origin on the upgrade, before accepting; then hand the socket,
as a Channel, to the meeting's room."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from app.api.sessions import session_cookie_name
from app.domain.errors import DomainError, MeetingNotFound, NotSignedIn
from app.services import Services
from app.store.tokens import hash_token

router = APIRouter()


class WebSocketChannel:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send(self, text: str) -> None:
        await self.websocket.send_text(text)

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
        JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
    )


@router.websocket("/ws/meetings/{meeting_id}")
async def board_socket(
    websocket: WebSocket,
    meeting_id: str,
    since: int | None = Query(default=None, ge=0, description="Last seq the client saw, to resume."),
) -> None:
    services: Services = websocket.app.state.services
    if not origin_allowed(websocket, services.settings.allowed_origins, services.settings.secure_cookies):
        await _deny(websocket, 403, "origin_not_allowed", "This page may not connect to the board.")
        return
    token = websocket.cookies.get(session_cookie_name(meeting_id))
    try:
        meeting, participant = await services.meetings.signed_in_meeting(meeting_id, token)
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
        async with services.rooms.room(meeting_id) as room:
            await room.serve(WebSocketChannel(websocket), participant, hash_token(token or ""), since)
    finally:
        services.connections.release(meeting_id, participant.id)
