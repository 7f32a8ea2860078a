"""The one meeting state that `apply_operation` folds the op log into: the map's three columns and everything
else the conference records. Each part's model and rules live in the module named after it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from app.domain.agendas import MeetingKind, Phase, agenda_for
from app.domain.attendance import Attendee
from app.domain.board import Card, Column
from app.domain.children import Child
from app.domain.closed_part import ClosedPart
from app.domain.decision import Decision, DecisionNote
from app.domain.focus import Focus
from app.domain.items import Model
from app.domain.phases import PhaseState
from app.domain.plan import NetworkMember, NextStep, PlanDates
from app.domain.record import Addendum, Finalisation
from app.domain.scaling import Answer, Round
from app.domain.statements import DangerStatement
from app.domain.voice import ChildWords

COLLECTION_OF: dict[str, str] = {
    "child": "children",
    "attendee": "attendees",
    "statement": "statements",
    "round": "rounds",
    "answer": "answers",
    "network_member": "network",
    "step": "steps",
    "decision": "decisions",
    "decision_note": "decision_notes",
    "voice": "voices",
    "addendum": "addenda",
}
"""Each entity of a change (but cards, which stand in columns) and the MeetingState field holding its items."""


def _agenda_of(data: dict[str, Any]) -> tuple[Phase, ...]:
    return agenda_for(data.get("kind", MeetingKind.initial_conference))


def _first_phase(data: dict[str, Any]) -> PhaseState:
    return PhaseState(current=data["agenda"][0].id)


class MeetingState(Model):
    """The whole meeting at one sequence number. Cards are listed per column in display order; every other
    collection in the order its items were added."""

    seq: int = Field(default=0, ge=0, description="Sequence number of the last operation applied.")
    read_only: bool = False
    columns: dict[Column, tuple[Card, ...]] = Field(default_factory=dict)
    kind: MeetingKind = MeetingKind.initial_conference
    agenda: tuple[Phase, ...] = Field(default_factory=_agenda_of, min_length=1)
    phase: PhaseState = Field(default_factory=_first_phase)
    children: tuple[Child, ...] = ()
    attendees: tuple[Attendee, ...] = ()
    statements: tuple[DangerStatement, ...] = ()
    rounds: tuple[Round, ...] = ()
    answers: tuple[Answer, ...] = ()
    network: tuple[NetworkMember, ...] = ()
    steps: tuple[NextStep, ...] = ()
    plan_dates: PlanDates = PlanDates()
    decisions: tuple[Decision, ...] = ()
    decision_notes: tuple[DecisionNote, ...] = ()
    voices: tuple[ChildWords, ...] = ()
    closed_part: ClosedPart = ClosedPart()
    focus: Focus | None = None
    finalised: Finalisation | None = Field(default=None, description="When and by whom; from then on read-only.")
    addenda: tuple[Addendum, ...] = ()

    @model_validator(mode="after")
    def _every_column_present(self) -> MeetingState:
        # A board always has its three columns, even when a snapshot lists only some of them.
        for column in Column:
            self.columns.setdefault(column, ())
        return self

    @classmethod
    def new(cls, kind: MeetingKind, agenda: tuple[Phase, ...] | None = None) -> MeetingState:
        """A meeting before its first operation: its kind and the agenda it keeps from then on."""
        return cls(kind=kind, agenda=agenda or agenda_for(kind))

    def find(self, card_id: str) -> tuple[Column, int, Card] | None:
        for column, cards in self.columns.items():
            for index, card in enumerate(cards):
                if card.id == card_id:
                    return column, index, card
        return None

    def cards(self) -> list[Card]:
        return [card for column in Column for card in self.columns.get(column, ())]

    def listing(self, entity: str, item: Any) -> tuple[Any, ...]:
        """The list an item of this entity stands in: a card's column, or the entity's collection."""
        if entity == "card":
            return self.columns[item.column]
        return tuple(getattr(self, COLLECTION_OF[entity]))

    def item(self, entity: str, item_id: str) -> Any:
        """The item of this entity with this id, or None."""
        if entity == "card":
            found = self.find(item_id)
            return found[2] if found else None
        return next((item for item in getattr(self, COLLECTION_OF[entity]) if item.id == item_id), None)

    def replacing(self, entity: str, item: Any) -> MeetingState:
        """The meeting with `item` in place of the item of this entity with its id."""
        if entity == "card":
            columns = dict(self.columns)
            columns[item.column] = tuple(item if card.id == item.id else card for card in columns[item.column])
            return self.model_copy(update={"columns": columns})
        field = COLLECTION_OF[entity]
        items = tuple(item if existing.id == item.id else existing for existing in getattr(self, field))
        return self.model_copy(update={field: items})


BoardState = MeetingState
"""The name the live board started with; the map is now one part of the meeting."""

GENESIS_FIELDS = ("kind", "agenda")
"""Fixed when the meeting is created: the log starts from them."""
CARD_FIELDS = ("seq", "read_only", "columns")
CONFERENCE_FIELDS = tuple(name for name in MeetingState.model_fields if name not in (*GENESIS_FIELDS, *CARD_FIELDS))
"""Everything the conference adds to the map, stored together beside the card projection."""
