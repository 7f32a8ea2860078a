"""The three-column map, its cards, and the limits on what a card may hold."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

CARD_TEXT_MAX = 1000
"""Characters on one card: enough for a danger statement, short enough to read on a projected wall."""

CardText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CARD_TEXT_MAX)]
CardId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ParticipantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


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


class Card(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CardId
    column: Column
    kind: CardKind
    text: CardText
    author_id: ParticipantId
    version: int = Field(ge=1, description="Starts at 1; every accepted change to the card's text or kind adds one.")


class BoardState(BaseModel):
    """The whole map at one sequence number. Cards are listed per column in display order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(default=0, ge=0, description="Sequence number of the last operation applied.")
    read_only: bool = False
    columns: dict[Column, tuple[Card, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_column_present(self) -> BoardState:
        # A board always has its three columns, even when a snapshot lists only some of them.
        for column in Column:
            self.columns.setdefault(column, ())
        return self

    def find(self, card_id: str) -> tuple[Column, int, Card] | None:
        for column, cards in self.columns.items():
            for index, card in enumerate(cards):
                if card.id == card_id:
                    return column, index, card
        return None

    def cards(self) -> list[Card]:
        return [card for column in Column for card in self.columns.get(column, ())]
