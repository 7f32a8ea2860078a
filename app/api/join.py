"""Joining: an invite token is exchanged for a session cookie, so no secret stays in a URL."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.errors import responses
from app.api.schemas import Joined, JoinRequest, MeetingOut, ParticipantOut
from app.api.sessions import ServicesDep, set_session_cookie

router = APIRouter(prefix="/api", tags=["join"])


@router.post("/join", responses=responses(404, 409, 422))
async def join(body: JoinRequest, response: Response, services: ServicesDep) -> Joined:
    signed_in = await services.meetings.join(body.token)
    set_session_cookie(response, services, signed_in.meeting.id, signed_in.session_token)
    return Joined(meeting=MeetingOut.of(signed_in.meeting), participant=ParticipantOut.of(signed_in.participant))
