"""What a connection may receive, decided on the server for its role and participant.

Two rules, applied to snapshots, events, resumes and HTTP reads alike:

1. Items kept from the family (restricted by a closed part or by the chair, and a child's words shared without
   the child's consent) never reach a family or room-screen connection. An event about such an item reaches
   them only as its seq (so their sequence has no gap) and, where the item was on their screen before, its
   removal by id.
2. Until the chair reveals a scaling round, an answer's value and reason reach only the connection of whoever
   gave it; everyone else learns that the person has answered.

Both rules read only the item's own value, so they apply to a stored change without the meeting around it.
Connections that would receive the same bytes share an audience, so an event is encoded once per audience.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.domain.changes import AnyChange
from app.domain.items import ItemChange, kept_from_family
from app.domain.roles import SEES_KEPT_FROM_FAMILY, Role
from app.domain.scaling import Answer, AnswerChange
from app.domain.state import MeetingState


class View(StrEnum):
    """What a role sees. The family and the room screen see the same items; their screens differ."""

    full = "full"
    family = "family"
    room_screen = "room_screen"


VIEW_OF_ROLE: dict[Role, View] = {
    Role.chair: View.full,
    Role.professional: View.full,
    Role.observer: View.full,
    Role.family: View.family,
    Role.projector: View.room_screen,
}


def view_sees_restricted(role: Role) -> bool:
    return role in SEES_KEPT_FROM_FAMILY


@dataclass(frozen=True, slots=True)
class Viewer:
    participant_id: str
    role: Role

    @property
    def sees_restricted(self) -> bool:
        return view_sees_restricted(self.role)


Audience = tuple[bool, str | None]
"""(sees restricted items, the participant whose own unrevealed answer is in the event, if it is this one)."""


def _answer_hidden_from(answer: Answer, viewer: Viewer) -> bool:
    return not answer.revealed and answer.submitted_by != viewer.participant_id


def redacted(answer: Answer) -> Answer:
    """What others see of an unrevealed answer: that this person has answered."""
    return answer.model_copy(update={"value": None, "reason": None})


def change_for(change: AnyChange, viewer: Viewer) -> tuple[AnyChange | None, bool]:
    """The change as this viewer receives it, and whether it is whole (nothing withheld or redacted).

    A family or room-screen viewer gets an item kept from them only as its removal, and only when they could see
    it before; the position of a card or list item among what they can see. An unrevealed answer comes with its
    value and reason withheld from everyone but whose device gave it."""
    value = change.value
    public = not viewer.sees_restricted
    if public and value is None and not change.was_public:
        return None, False  # the removal of an item they never had: not even its id reaches them
    if public and value is not None and kept_from_family(value):
        if not change.was_public:
            return None, False
        withheld: dict[str, Any] = {"value": None}
        if isinstance(change, ItemChange):
            withheld["position"] = None
        return change.model_copy(update=withheld), False
    shifted = isinstance(change, ItemChange) and change.public_position not in (None, change.position)
    if public and shifted:
        change = change.model_copy(update={"position": change.public_position})  # type: ignore[union-attr]
    if isinstance(change, AnswerChange) and isinstance(value, Answer) and _answer_hidden_from(value, viewer):
        return change.model_copy(update={"value": redacted(value)}), False
    return change, True


def audience_of(changes: tuple[AnyChange, ...], viewer: Viewer) -> Audience:
    """Viewers with the same audience receive the same event, byte for byte."""
    return audiences(changes)(viewer)


def audiences(changes: tuple[AnyChange, ...]) -> Callable[[Viewer], Audience]:
    """`audience_of` for one event's changes, worked out once for all its viewers: only the people whose own
    unrevealed answers it carries need an audience of their own."""
    return _audiences(
        c.value.submitted_by
        for c in changes
        if isinstance(c, AnswerChange) and c.value is not None and not c.value.revealed
    )


def snapshot_audiences(state: MeetingState) -> Callable[[Viewer], Audience]:
    """Viewers with the same audience get the same `meeting_for(state, viewer)`."""
    return _audiences(answer.submitted_by for answer in state.answers if not answer.revealed)


def _audiences(answered_by: Iterable[str]) -> Callable[[Viewer], Audience]:
    answered = set(answered_by)

    def audience(viewer: Viewer) -> Audience:
        return viewer.sees_restricted, viewer.participant_id if viewer.participant_id in answered else None

    return audience


def changes_for(changes: tuple[AnyChange, ...], viewer: Viewer) -> tuple[tuple[AnyChange, ...], bool]:
    """The changes this viewer receives, and whether they receive all of them whole (then the operation itself
    may be shown too: it holds nothing the changes withhold)."""
    shown: list[AnyChange] = []
    whole = True
    for change in changes:
        seen, seen_whole = change_for(change, viewer)
        whole = whole and seen_whole
        if seen is not None:
            shown.append(seen)
    return tuple(shown), whole


def meeting_for(state: MeetingState, viewer: Viewer) -> MeetingState:
    """The meeting as this viewer may see it: for snapshots and HTTP reads."""
    family = not viewer.sees_restricted

    def keep(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(item for item in items if not kept_from_family(item)) if family else items

    answers = tuple(
        redacted(answer) if _answer_hidden_from(answer, viewer) else answer for answer in keep(state.answers)
    )
    update: dict[str, Any] = {"answers": answers}
    if family:
        update |= {
            "columns": {column: keep(cards) for column, cards in state.columns.items()},
            "statements": keep(state.statements),
            "rounds": keep(state.rounds),
            "network": keep(state.network),
            "steps": keep(state.steps),
            "decisions": keep(state.decisions),
            "decision_notes": keep(state.decision_notes),
            "voices": keep(state.voices),
            "addenda": keep(state.addenda),
            "focus": None if state.focus is not None and state.focus.restricted else state.focus,
        }
    return state.model_copy(update=update)


def board_for_view(state: MeetingState, view: View, participant_id: str = "") -> MeetingState:
    """The meeting for a role's view (kept for callers that think in views rather than viewers)."""
    role = next(role for role, role_view in VIEW_OF_ROLE.items() if role_view is view)
    return meeting_for(state, Viewer(participant_id, role))
