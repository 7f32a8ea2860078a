"""The session cookie: HttpOnly (no script can read it), SameSite=Strict, one per meeting, gone when the browser
closes (no Max-Age), so nothing of a meeting stays on a shared tablet."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from app.domain.errors import PermissionDenied
from app.domain.meeting import Participant
from app.domain.roles import Role
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


def clear_session_cookie(response: Response, meeting_id: str) -> None:
    response.delete_cookie(session_cookie_name(meeting_id), path="/", httponly=True, samesite="strict")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_participant(meeting_id: str, request: Request, services: ServicesDep) -> Participant:
    return await services.meetings.signed_in(meeting_id, request.cookies.get(session_cookie_name(meeting_id)))


async def current_chair(participant: Annotated[Participant, Depends(current_participant)]) -> Participant:
    if participant.role is not Role.chair:
        raise PermissionDenied("Only the chair can do this.")
    return participant


async def current_professional(participant: Annotated[Participant, Depends(current_participant)]) -> Participant:
    """The chair or a professional: who may export the record and check it."""
    if participant.role not in (Role.chair, Role.professional):
        raise PermissionDenied("Only the chair and the professionals can do this.")
    return participant


ParticipantDep = Annotated[Participant, Depends(current_participant)]
ChairDep = Annotated[Participant, Depends(current_chair)]
ProfessionalDep = Annotated[Participant, Depends(current_professional)]
