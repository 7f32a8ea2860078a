"""Errors the rules raise. Each has a stable `code` that the HTTP API and the websocket protocol report."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from app.domain.board import Card


class DomainError(Exception):
    code: ClassVar[str] = "invalid_operation"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidOperation(DomainError):
    code = "invalid_operation"


class PermissionDenied(DomainError):
    code = "forbidden"


class CardNotFound(DomainError):
    code = "card_not_found"


class CardAlreadyExists(DomainError):
    code = "card_exists"


class MeetingReadOnly(DomainError):
    code = "meeting_read_only"


class StaleVersion(DomainError):
    """The edit was based on an older version of the card: the caller gets the current card back."""

    code = "stale_version"

    def __init__(self, message: str, current: Card) -> None:
        super().__init__(message)
        self.current = current


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
