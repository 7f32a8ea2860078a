"""Random steps of a meeting for the property tests, and how each becomes a board operation.

A step is drawn before the board it acts on exists, so it names its card by a number: `resolve` turns it into
a real operation against the board as it is at that moment. Many steps are meant to be refused (stale versions,
kinds in the wrong column, forbidden roles, cards not there, duplicate ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hypothesis import strategies as st

from app.domain.board import CardKind, Column, default_kind
from app.domain.operations import AddCard, DeleteCard, EditCard, MoveCard
from app.domain.state import BoardState

ActorT = TypeVar("ActorT")
Op = AddCard | EditCard | MoveCard | DeleteCard

MISSING = 15
TEXTS = [
    "Bruise seen",
    "  Gran helps  ",
    "Mum walks him to school",
    "x" * 1000,
    "Dad drinks",
    "Unclear",
    "ok",
]
OP_TYPES = ["add_card", "add_card", "edit_card", "move_card", "delete_card"]
RESEND = "resend"  # not a board operation: the test sends an earlier accepted op again


@dataclass(frozen=True)
class Step(Generic[ActorT]):
    actor: ActorT  # whoever the test's actor pool holds: an Actor, or an index into a room's people
    op_type: str  # one of OP_TYPES, or RESEND when asked for
    target: int  # picks a card on the board; MISSING means one that is not (or no longer) there
    column: Column
    kind: CardKind | None
    text: str | None
    version_delta: int  # 0 is the version the user saw; anything else is stale
    position: int | None
    client_id: int | None  # None: server assigns; -1: reuse an id already on the board; n: "c{n}"


def operation_steps(actors: Sequence[ActorT], *, resend: bool = False) -> st.SearchStrategy[Step[ActorT]]:
    """Steps by people drawn from `actors` (repeat one to make them more frequent); with `resend`, some steps are
    RESEND, which `resolve` does not handle: the test decides what resending means."""
    return st.builds(
        Step,
        actor=st.sampled_from(actors),
        op_type=st.sampled_from([*OP_TYPES, RESEND] if resend else OP_TYPES),
        target=st.integers(0, MISSING),
        column=st.sampled_from(list(Column)),
        kind=st.sampled_from([None, None, None, None, *CardKind]),
        text=st.sampled_from([None, *TEXTS]),
        version_delta=st.sampled_from([0, 0, 0, 0, -1, 1]),
        position=st.none() | st.integers(0, 6),
        client_id=st.none() | st.just(-1) | st.integers(0, 5),
    )


def resolve(step: Step[ActorT], state: BoardState) -> Op:
    """The operation `step` stands for on `state`, the board the user sees."""
    cards = state.cards()
    card = cards[step.target % len(cards)] if cards and step.target != MISSING else None
    card_id = card.id if card else "missing"
    version = max(1, (card.version if card else 1) + step.version_delta)
    if step.op_type == "add_card":
        if step.client_id is None:
            client_id = None
        elif step.client_id == -1:
            client_id = card_id if card else None
        else:
            client_id = f"c{step.client_id}"
        return AddCard(
            card_id=client_id,
            column=step.column,
            kind=step.kind or default_kind(step.column),
            text=step.text or "new card",
            position=step.position,
        )
    if step.op_type == "edit_card":
        return EditCard(card_id=card_id, base_version=version, text=step.text, kind=step.kind)
    if step.op_type == "move_card":
        return MoveCard(card_id=card_id, column=step.column, position=step.position or 0, kind=step.kind)
    if step.op_type == "delete_card":
        return DeleteCard(card_id=card_id, base_version=version)
    raise ValueError(f"{step.op_type!r} is not a board operation")
