"""Meetings and the chair's People panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from app.api.access import Allowed
from app.api.errors import responses
from app.api.meeting_starts import meeting_start_allowed
from app.api.schemas import (
    AddParticipant,
    CreatedMeeting,
    CreateMeeting,
    Invitation,
    InviteState,
    Me,
    MeetingKindOut,
    MeetingOut,
    ParticipantListing,
    ParticipantOut,
)
from app.api.sessions import (
    ServicesDep,
    clear_session_cookie,
    session_cookie_name,
    set_session_cookie,
)
from app.domain.agendas import agenda_templates
from app.domain.errors import PermissionDenied
from app.domain.meeting import Participant
from app.domain.roles import PERMISSIONS, HttpAction
from app.domain.state import MeetingState
from app.domain.visibility import Viewer, meeting_for
from app.store.meetings import Invited
from app.store.tokens import hash_token

router = APIRouter(prefix="/api/meetings", tags=["meetings"])
kinds_router = APIRouter(prefix="/api", tags=["meetings"])


def invite_url(request: Request, token: str) -> str:
    # The token rides in the fragment, which browsers never send to a server, so it is in no access log.
    return f"{str(request.base_url).rstrip('/')}/join#{token}"


def _invitation(request: Request, invited: Invited) -> Invitation:
    return Invitation(
        participant=ParticipantOut.of(invited.participant), invite_url=invite_url(request, invited.invite_token)
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(422, 429),
    dependencies=[Depends(meeting_start_allowed)],
)
async def create_meeting(
    body: CreateMeeting, request: Request, response: Response, services: ServicesDep
) -> CreatedMeeting:
    """Start a meeting. The caller becomes its chair and is signed in (session cookie)."""
    signed_in, chair_token = await services.meetings.create(body.title, body.chair_name, body.kind)
    set_session_cookie(response, services, signed_in.meeting.id, signed_in.session_token)
    return CreatedMeeting(
        meeting=MeetingOut.of(signed_in.meeting),
        participant=ParticipantOut.of(signed_in.participant),
        invite_url=invite_url(request, chair_token),
    )


@kinds_router.get("/meeting-kinds")
async def meeting_kinds() -> list[MeetingKindOut]:
    """The kinds of meeting and the agenda each starts with."""
    return [
        MeetingKindOut(kind=template.kind, label=template.label, phases=list(template.phases))
        for template in agenda_templates().values()
    ]


@router.get("/{meeting_id}/me", responses=responses(401, 404, 422))
async def me(
    meeting_id: str, participant: Annotated[Participant, Depends(Allowed(HttpAction.read_me))], services: ServicesDep
) -> Me:
    """Who this browser is in the meeting, and what their role may do (the UI mirrors it)."""
    meeting = await services.meetings.get(meeting_id)
    return Me(
        meeting=MeetingOut.of(meeting),
        participant=ParticipantOut.of(participant),
        permissions=PERMISSIONS[participant.role],
    )


@router.get("/{meeting_id}/board", responses=responses(401, 404, 422))
async def board(
    meeting_id: str, participant: Annotated[Participant, Depends(Allowed(HttpAction.read_board))], services: ServicesDep
) -> MeetingState:
    """The whole meeting as this participant may see it (the map's columns and everything the conference
    records), with the seq it is consistent with. A read of the record: it is in the audit trail."""
    board = meeting_for(await services.oplog.board(meeting_id), Viewer(participant.id, participant.role))
    await services.audit.read(meeting_id, participant)
    return board


@router.get("/{meeting_id}/participants", responses=responses(401, 403, 404, 422))
async def list_participants(
    meeting_id: str, _chair: Annotated[Participant, Depends(Allowed(HttpAction.list_people))], services: ServicesDep
) -> list[ParticipantListing]:
    return [
        ParticipantListing(
            participant=ParticipantOut.of(listing.participant),
            invite=InviteState(status=listing.invite_status),  # type: ignore[arg-type]
        )
        for listing in await services.meetings.participants(meeting_id)
    ]


@router.post(
    "/{meeting_id}/participants", status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 404, 409, 422)
)
async def add_participant(
    meeting_id: str,
    body: AddParticipant,
    request: Request,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.invite_person))],
    services: ServicesDep,
) -> Invitation:
    """Add someone to the meeting and get their personal invite link."""
    invited = await services.meetings.invite(meeting_id, body.role, body.display_name, body.agency, by=chair)
    await services.rooms.people_changed(meeting_id)
    return _invitation(request, invited)


@router.post(
    "/{meeting_id}/participants/{participant_id}/invite",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
async def reissue_invite(
    meeting_id: str,
    participant_id: str,
    request: Request,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.reissue_invite))],
    services: ServicesDep,
) -> Invitation:
    """A new link for this person; their old links stop working."""
    invited = await services.meetings.reissue_invite(meeting_id, participant_id, by=chair)
    return _invitation(request, invited)


@router.delete(
    "/{meeting_id}/participants/{participant_id}/invite",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
)
async def revoke_invite(
    meeting_id: str,
    participant_id: str,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.revoke_invite))],
    services: ServicesDep,
) -> None:
    """Revoke this person's links, end their sessions and close their connections."""
    if participant_id == chair.id:
        # Revoking oneself would leave the meeting with nobody able to run it.
        raise PermissionDenied("You cannot revoke your own link while you chair the meeting.")
    await services.meetings.revoke(meeting_id, participant_id, by=chair)
    await services.rooms.end_sessions(meeting_id, "Your invite was revoked.", participant_id=participant_id)


@router.post("/{meeting_id}/leave", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422))
async def leave(meeting_id: str, request: Request, response: Response, services: ServicesDep) -> None:
    """End this browser's session and forget its cookie (the family tablet's 'Leave this meeting'). A family
    member's or a wall's link is spent with it (the tablet's history keeps its address): the chair gives a new one.
    Always succeeds: leaving when already signed out is not an error."""
    token = request.cookies.get(session_cookie_name(meeting_id))
    if token:
        await services.meetings.leave(meeting_id, token)
        # Other tabs of this browser on this meeting must stop showing it too.
        await services.rooms.end_sessions(meeting_id, "You left the meeting.", session_key=hash_token(token))
    clear_session_cookie(response, meeting_id)
