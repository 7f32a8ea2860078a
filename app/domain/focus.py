"""Where the chair is pointing everyone: one item (a card, a statement, a round...), which the screens that follow
the chair scroll to and highlight. A focus on an item kept from the family is kept from the family with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, model_validator

from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import ItemNotFound
from app.domain.items import Change, ItemId, Model, kept_from_family

if TYPE_CHECKING:
    from app.domain.state import MeetingState

FocusEntity = Literal["card", "statement", "round", "step", "network_member", "decision", "voice", "child", "attendee"]


class Focus(Model):
    entity: FocusEntity
    item_id: ItemId
    restricted: bool = Field(default=False, description="Kept from the family and the room screen with its item.")

    def kept_from_family(self) -> bool:
        return self.restricted


class FocusChange(Change):
    entity: Literal["focus"] = "focus"
    id: Literal["focus"] = "focus"
    value: Focus | None


class SetFocus(Model):
    """Point every screen that follows the chair at one item; both fields null clears the focus."""

    type: Literal["set_focus"] = "set_focus"
    entity: FocusEntity | None = None
    item_id: ItemId | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> SetFocus:
        if (self.entity is None) != (self.item_id is None):
            raise ValueError("give both entity and item_id, or neither")
        return self


def set_focus(state: MeetingState, op: SetFocus, ctx: OpContext) -> Outcome:
    focus: Focus | None = None
    if op.entity is not None and op.item_id is not None:
        item = state.item(op.entity, op.item_id)
        if item is None:
            raise ItemNotFound("That item is not in this meeting (any more).")
        focus = Focus(entity=op.entity, item_id=op.item_id, restricted=kept_from_family(item))
    return Outcome(state.model_copy(update={"focus": focus}), (FocusChange(value=focus),), op.item_id or "focus")


def settle_focus(state: MeetingState) -> tuple[MeetingState, FocusChange | None]:
    """After any operation: a focus on an item now gone is cleared, and one on an item now restricted (or no
    longer) follows it."""
    focus = state.focus
    if focus is None:
        return state, None
    item = state.item(focus.entity, focus.item_id)
    settled = None if item is None else focus.model_copy(update={"restricted": kept_from_family(item)})
    if settled == focus:
        return state, None
    return state.model_copy(update={"focus": settled}), FocusChange(value=settled)


HANDLERS: dict[type[BaseModel], Handler] = {SetFocus: set_focus}
