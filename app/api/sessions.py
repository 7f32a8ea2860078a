"""The session cookie: HttpOnly (no script can read it), SameSite=Strict, one per meeting, gone when the browser
closes (no Max-Age), so nothing of a meeting stays on a shared tablet."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request, Response

from app.domain.meeting import Participant
from app.services import Services


def session_cookie_name(meeting_id: str) -> str:
    return f"sos_{meeting_id}"


def set_session_cookie(response: Response, services: Services, meeting_id: str, token: str) -> None:
    response.set_cookie(
        session_cookie_name(meeting_id),
        token,
        httponly=True,
        samesite="strict",
        secure=services.settings.secure_cookies,
        path="/",
    )


_COOKIE_SAFE_MEETING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def clear_session_cookie(response: Response, meeting_id: str) -> None:
    if not _COOKIE_SAFE_MEETING_ID.fullmatch(meeting_id):
        # No meeting has such an id, so no browser holds its cookie; and it cannot name a cookie (deleting one
        # raised, and `leave` answered 500 for an id with a space or a non-ASCII letter).
        return
    response.delete_cookie(session_cookie_name(meeting_id), path="/", httponly=True, samesite="strict")


async def get_services(request: Request) -> Services:
    # async, though it never awaits: FastAPI runs a plain `def` dependency in a worker thread, a thread hop on
    # every request for an attribute read.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_participant(meeting_id: str, request: Request, services: ServicesDep) -> Participant:
    return await services.meetings.signed_in(meeting_id, request.cookies.get(session_cookie_name(meeting_id)))


ParticipantDep = Annotated[Participant, Depends(current_participant)]
