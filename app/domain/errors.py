"""Errors the rules raise. Each has a stable `code` that the HTTP API and the websocket protocol report."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pydantic import BaseModel


class DomainError(Exception):
    code: ClassVar[str] = "invalid_operation"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidOperation(DomainError):
    code = "invalid_operation"


# An op whose op id another participant's op already has: not answered with that op's ack, which is theirs.
class OpIdTaken(InvalidOperation):
    pass


class PermissionDenied(DomainError):
    code = "forbidden"


class CardNotFound(DomainError):
    code = "card_not_found"


class CardAlreadyExists(DomainError):
    code = "card_exists"


class ItemNotFound(DomainError):
    """A statement, round, step, child's words or other item that is not (or no longer) in the meeting."""

    code = "item_not_found"


class ChildNotFound(DomainError):
    """The operation names a child who is not in this meeting."""

    code = "child_not_found"


class MeetingReadOnly(DomainError):
    code = "meeting_read_only"


class StaleVersion(DomainError):
    """The edit was based on an older version of the item: the caller gets the current one back."""

    code = "stale_version"

    def __init__(self, message: str, current: BaseModel) -> None:
        super().__init__(message)
        self.current = current


class PhaseChanged(DomainError):
    """The chair's move was made from a phase the meeting has already left (a double click, or two devices)."""

    code = "phase_changed"


class RoundNotOpen(DomainError):
    """An answer to a scaling round that is not open: unknown, or already revealed."""

    code = "round_not_open"


class RoundAlreadyRevealed(DomainError):
    code = "round_already_revealed"


class ClosedPartRunning(DomainError):
    """A closed part is running: a family member's operation waits until the chair asks them back, and the chair
    cannot start a second one."""

    code = "closed_part_running"


class NoClosedPart(DomainError):
    code = "no_closed_part"


class MeetingNotFound(DomainError):
    code = "meeting_not_found"


class ParticipantNotFound(DomainError):
    code = "participant_not_found"


class InviteNotFound(DomainError):
    """The invite link is wrong, revoked, or replaced by a newer one. Never says which: that would help a guesser."""

    code = "invite_not_found"


class NotSignedIn(DomainError):
    """No valid session for this meeting: never joined, left, expired, or revoked by the chair."""

    code = "not_signed_in"


class MeetingFinished(NotSignedIn):
    """The session of a family tablet or a room screen has ended because its meeting was finalised: the screen
    shows that the meeting is finished, not that it needs a new link."""

    code = "meeting_finished"
