"""What an operation changed: each item it touched, as it is after the operation (null once removed).

Events carry these, so a screen updates its copy of the meeting without knowing the rules: it replaces or removes
the item with that entity and id. visibility.py decides, per connection, which of them each screen receives.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from app.domain.attendance import AttendeeChange
from app.domain.board import CardChange
from app.domain.children import ChildChange
from app.domain.closed_part import ClosedPartChange
from app.domain.decision import DecisionChange, DecisionNoteChange
from app.domain.focus import FocusChange
from app.domain.items import ItemChange
from app.domain.phases import PhaseChange
from app.domain.plan import NetworkChange, PlanDatesChange, StepChange
from app.domain.record import AddendumChange, FinalisedChange
from app.domain.scaling import AnswerChange, RoundChange
from app.domain.statements import StatementChange
from app.domain.voice import ChildWordsChange

AnyChange = (
    CardChange
    | ChildChange
    | AttendeeChange
    | StatementChange
    | RoundChange
    | AnswerChange
    | NetworkChange
    | StepChange
    | PlanDatesChange
    | DecisionChange
    | DecisionNoteChange
    | ChildWordsChange
    | PhaseChange
    | ClosedPartChange
    | FocusChange
    | FinalisedChange
    | AddendumChange
)
Change = Annotated[AnyChange, Field(discriminator="entity")]


def change_as_stored(change: AnyChange) -> dict[str, Any]:
    """The change with what only the server keeps (how the family saw it before; its place among what they see),
    for the op log and for other processes' rooms."""
    data = change.model_dump(mode="json")
    data["was_public"] = change.was_public
    if isinstance(change, ItemChange):
        data["public_position"] = change.public_position
    return data


change_adapter: TypeAdapter[AnyChange] = TypeAdapter(Change)
changes_adapter: TypeAdapter[list[AnyChange]] = TypeAdapter(list[Change])
