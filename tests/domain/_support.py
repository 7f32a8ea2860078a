"""Shared builders for the domain tests: the people in the room and a board built through the real rules."""

from __future__ import annotations

import itertools
from typing import Any

from app.domain.board import Card, CardKind, Column
from app.domain.operations import Actor, AddCard, Applied, DeleteCard, EditCard, MoveCard, apply_operation
from app.domain.roles import Role
from app.domain.state import BoardState

CHAIR = Actor("chair-1", Role.chair)
SOCIAL_WORKER = Actor("sw-1", Role.professional)
TEACHER = Actor("school-1", Role.professional)
MUM = Actor("mum-1", Role.family)
GRAN = Actor("gran-1", Role.family)
PROJECTOR = Actor("projector-1", Role.projector)
MINUTES = Actor("minutes-1", Role.observer)

Op = AddCard | EditCard | MoveCard | DeleteCard


class Room:
    """A board plus the server's sequence counter, so a test reads like the meeting it describes."""

    def __init__(self, state: BoardState | None = None) -> None:
        self.state = state or BoardState()
        self._ids = itertools.count(1)

    def do(self, actor: Actor, op: Op) -> Applied:
        """Apply like the server: a refused op raises and leaves the board and the sequence untouched."""
        applied = apply_operation(self.state, op, actor, new_id=f"srv-{next(self._ids)}", seq=self.state.seq + 1)
        self.state = applied.state
        return applied

    def add(
        self,
        actor: Actor,
        text: str,
        column: Column = Column.worries,
        kind: CardKind | None = None,
        card_id: str | None = None,
        position: int | None = None,
    ) -> Card:
        kind = (
            kind
            or {
                Column.worries: CardKind.harm,
                Column.working_well: CardKind.strength,
                Column.needs_to_happen: CardKind.next_step,
            }[column]
        )
        applied = self.do(actor, AddCard(card_id=card_id, column=column, kind=kind, text=text, position=position))
        assert applied.card is not None
        return applied.card

    def texts(self, column: Column) -> list[str]:
        return [card.text for card in self.state.columns[column]]

    def card(self, card_id: str) -> Card:
        found = self.state.find(card_id)
        assert found is not None, f"{card_id} is not on the board"
        return found[2]


def said(changes: tuple[Any, ...]) -> list[tuple[str, str, Any]]:
    """What changes tell every screen (entity, id, value), leaving out where each lands and what only the server
    keeps to filter them: tests of one concept's rules compare these."""
    return [(change.entity, change.id, change.value) for change in changes]
