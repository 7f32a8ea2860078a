"""Who is doing an operation, and what the rules hand back. Shared by every concept module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.errors import PermissionDenied
from app.domain.roles import SEES_KEPT_FROM_FAMILY, Role, Scope

if TYPE_CHECKING:
    from pydantic import BaseModel

    from app.domain.changes import Change
    from app.domain.state import MeetingState


@dataclass(frozen=True, slots=True)
class Actor:
    participant_id: str
    role: Role
    display_name: str = ""
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class OpContext:
    """Everything an operation may depend on besides the state: so replaying the log gives the same result."""

    actor: Actor
    seq: int
    at: datetime
    new_id: str
    """The id a new item gets when the operation names none."""
    scope: Scope
    as_logged: bool = False
    """The op as the log holds it (replayed): its positions count every card, where a family screen's count only
    the cards it has."""

    @property
    def sees_kept_from_family(self) -> bool:
        return self.actor.role in SEES_KEPT_FROM_FAMILY

    def check_owner(self, author_id: str, doing: str) -> None:
        if self.scope is Scope.own and author_id != self.actor.participant_id:
            raise PermissionDenied(f"You can only {doing} you wrote yourself.")


Handler = Callable[["MeetingState", Any, "OpContext"], "Outcome"]
"""A concept's rule for one operation type."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an accepted operation did: the meeting after it, the items it changed (their values after), the id
    of the item it was about, the operation as it is logged when the rules filled something in, and whether the
    item it was about is new (its rule checked that nothing had its id), so nothing has to look for it before."""

    state: MeetingState
    changes: tuple[Change, ...]
    target_id: str
    logged: BaseModel | None = None
    created: bool = False
