"""The three-column map: its columns, the kinds of card each holds, and the card itself."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import StringConstraints

from app.domain.items import TEXT_MAX, AuthoredItem, ChildIds, ItemChange, ItemId, Storable, sent_at_most

CARD_TEXT_MAX = TEXT_MAX

CardText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=CARD_TEXT_MAX),
    sent_at_most(CARD_TEXT_MAX),
    Storable,
]
CardId = ItemId


class Column(StrEnum):
    worries = "worries"
    working_well = "working_well"
    needs_to_happen = "needs_to_happen"


class CardKind(StrEnum):
    harm = "harm"
    complicating_factor = "complicating_factor"
    grey_area = "grey_area"
    strength = "strength"
    existing_safety = "existing_safety"
    safety_goal = "safety_goal"
    next_step = "next_step"


# Grey areas (disagreement, or too little known yet) can sit in any column.
KINDS_BY_COLUMN: dict[Column, tuple[CardKind, ...]] = {
    Column.worries: (CardKind.harm, CardKind.complicating_factor, CardKind.grey_area),
    Column.working_well: (CardKind.strength, CardKind.existing_safety, CardKind.grey_area),
    Column.needs_to_happen: (CardKind.safety_goal, CardKind.next_step, CardKind.grey_area),
}


def default_kind(column: Column) -> CardKind:
    return KINDS_BY_COLUMN[column][0]


class Card(AuthoredItem):
    column: Column
    kind: CardKind
    text: CardText
    child_ids: ChildIds = ()


class CardChange(ItemChange):
    """A card after the operation (null once deleted, or when it is not for this screen), and where it now stands
    in its column."""

    entity: Literal["card"] = "card"
    id: CardId
    value: Card | None
