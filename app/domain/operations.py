"""Operations on the board and the one deterministic function that applies them.

`apply_operation` reads nothing but its arguments, so replaying a meeting's op log from an empty board rebuilds
exactly the projection the store keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.domain.board import (
    KINDS_BY_COLUMN,
    BoardState,
    Card,
    CardId,
    CardKind,
    CardText,
    Column,
    ParticipantId,
)
from app.domain.errors import (
    CardAlreadyExists,
    CardNotFound,
    InvalidOperation,
    MeetingReadOnly,
    PermissionDenied,
    StaleVersion,
)
from app.domain.roles import OpType, Role, Scope, scope_for


class _Op(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AddCard(_Op):
    type: Literal["add_card"] = "add_card"
    card_id: CardId | None = Field(
        default=None, description="Optional id chosen by the client; the server assigns one when absent."
    )
    column: Column
    kind: CardKind
    text: CardText
    position: int | None = Field(default=None, ge=0, description="Index in the column; absent means last.")


class EditCard(_Op):
    type: Literal["edit_card"] = "edit_card"
    card_id: CardId
    base_version: int = Field(ge=1, description="The card version this edit was made against.")
    text: CardText | None = None
    kind: CardKind | None = None


class MoveCard(_Op):
    """Moving never destroys words, so it needs no base version: the last move wins."""

    type: Literal["move_card"] = "move_card"
    card_id: CardId
    column: Column
    position: int = Field(ge=0, description="Index in the target column once the card is taken out.")
    kind: CardKind | None = Field(
        default=None,
        description="New kind, needed when the card's kind does not belong in the target column.",
    )


class DeleteCard(_Op):
    type: Literal["delete_card"] = "delete_card"
    card_id: CardId
    base_version: int = Field(ge=1, description="Deleting needs the version the user saw, like an edit.")


Operation = Annotated[AddCard | EditCard | MoveCard | DeleteCard, Field(discriminator="type")]
operation_adapter: TypeAdapter[AddCard | EditCard | MoveCard | DeleteCard] = TypeAdapter(Operation)


@dataclass(frozen=True, slots=True)
class Actor:
    participant_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Applied:
    """What an accepted operation did: the board after it, the card it touched (None once deleted), and the
    operation as it is logged (an add always names its card id)."""

    state: BoardState
    op: AddCard | EditCard | MoveCard | DeleteCard
    card: Card | None
    card_id: str


def apply_operation(
    state: BoardState,
    op: AddCard | EditCard | MoveCard | DeleteCard,
    actor: Actor,
    *,
    new_card_id: str,
    seq: int,
) -> Applied:
    """Check `op` against the rules and return the board after it. Raises a DomainError when refused.

    `new_card_id` is used by an add that names no id; `seq` is the sequence number the op will be logged under.
    """
    if state.read_only:
        raise MeetingReadOnly("This meeting has been finalised; the map can no longer be changed.")
    scope = scope_for(actor.role, OpType(op.type))
    if scope is Scope.none:
        raise PermissionDenied(f"A {actor.role.value} cannot {_verb(op)} cards.")
    if isinstance(op, AddCard):
        return _add(state, op, actor, new_card_id, seq)
    found = state.find(op.card_id)
    if found is None:
        raise CardNotFound("That card is no longer on the board.")
    column, index, card = found
    if scope is Scope.own and card.author_id != actor.participant_id:
        raise PermissionDenied(f"You can only {_verb(op)} cards you wrote yourself.")
    if isinstance(op, EditCard):
        return _edit(state, op, card, column, index, seq)
    if isinstance(op, MoveCard):
        return _move(state, op, card, column, index, seq)
    return _delete(state, op, card, column, index, seq)


def _verb(op: AddCard | EditCard | MoveCard | DeleteCard) -> str:
    return {"add_card": "add", "edit_card": "edit", "move_card": "move", "delete_card": "delete"}[op.type]


def _check_kind(column: Column, kind: CardKind) -> None:
    if kind not in KINDS_BY_COLUMN[column]:
        allowed = ", ".join(k.value for k in KINDS_BY_COLUMN[column])
        raise InvalidOperation(f"A {kind.value} card does not belong in {column.value} (allowed: {allowed}).")


def _check_version(card: Card, base_version: int) -> None:
    if base_version != card.version:
        raise StaleVersion("Someone changed this card while you were working on it. Here is the current version.", card)


def _with_column(state: BoardState, column: Column, cards: list[Card], seq: int) -> BoardState:
    columns = dict(state.columns)
    columns[column] = tuple(cards)
    return state.model_copy(update={"columns": columns, "seq": seq})


def _add(state: BoardState, op: AddCard, actor: Actor, new_card_id: str, seq: int) -> Applied:
    _check_kind(op.column, op.kind)
    card_id = op.card_id or new_card_id
    if state.find(card_id) is not None:
        raise CardAlreadyExists("A card with that id is already on the board.")
    card = Card(id=card_id, column=op.column, kind=op.kind, text=op.text, author_id=actor.participant_id, version=1)
    cards = list(state.columns[op.column])
    position = len(cards) if op.position is None else min(op.position, len(cards))
    cards.insert(position, card)
    logged = op.model_copy(update={"card_id": card_id, "position": position})
    return Applied(_with_column(state, op.column, cards, seq), logged, card, card_id)


def _edit(state: BoardState, op: EditCard, card: Card, column: Column, index: int, seq: int) -> Applied:
    if op.text is None and op.kind is None:
        raise InvalidOperation("An edit must change the text, the kind, or both.")
    _check_version(card, op.base_version)
    kind = op.kind or card.kind
    _check_kind(column, kind)
    text = op.text or card.text
    # Saving the same words again is no change, and must not make a colleague's in-flight edit stale.
    version = card.version + (text != card.text or kind != card.kind)
    edited = card.model_copy(update={"text": text, "kind": kind, "version": version})
    cards = list(state.columns[column])
    cards[index] = edited
    return Applied(_with_column(state, column, cards, seq), op, edited, card.id)


def _move(state: BoardState, op: MoveCard, card: Card, column: Column, index: int, seq: int) -> Applied:
    kind = op.kind or card.kind
    _check_kind(op.column, kind)
    # The version counts changes to the card's words (text, kind), so a move does not make a colleague's
    # in-flight edit stale unless the move had to change the kind.
    version = card.version + (kind != card.kind)
    moved = card.model_copy(update={"column": op.column, "kind": kind, "version": version})
    source = list(state.columns[column])
    del source[index]
    after = _with_column(state, column, source, seq)
    target = list(after.columns[op.column])
    position = min(op.position, len(target))
    target.insert(position, moved)
    logged = op.model_copy(update={"position": position, "kind": kind})
    return Applied(_with_column(after, op.column, target, seq), logged, moved, card.id)


def _delete(state: BoardState, op: DeleteCard, card: Card, column: Column, index: int, seq: int) -> Applied:
    _check_version(card, op.base_version)
    cards = list(state.columns[column])
    del cards[index]
    return Applied(_with_column(state, column, cards, seq), op, None, card.id)


def replay(entries: list[tuple[int, AddCard | EditCard | MoveCard | DeleteCard, Actor]]) -> BoardState:
    """Rebuild a board from its op log (seq, logged op, actor), in order."""
    state = BoardState()
    for seq, op, actor in entries:
        state = apply_operation(state, op, actor, new_card_id="", seq=seq).state
    return state


__all__ = [
    "Actor",
    "AddCard",
    "Applied",
    "DeleteCard",
    "EditCard",
    "MoveCard",
    "Operation",
    "ParticipantId",
    "apply_operation",
    "operation_adapter",
    "replay",
]
