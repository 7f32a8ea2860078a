"""Cards on the three-column map: add, edit, move, delete."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.board import KINDS_BY_COLUMN, Card, CardChange, CardId, CardKind, CardText, Column
from app.domain.children import check_children
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import CardAlreadyExists, CardNotFound, InvalidOperation, StaleVersion
from app.domain.items import ChildIds, Model, last_editor, new_item_id

if TYPE_CHECKING:
    from app.domain.state import MeetingState


class AddCard(Model):
    type: Literal["add_card"] = "add_card"
    card_id: CardId | None = Field(
        default=None, description="Optional id chosen by the client; the server assigns one when absent."
    )
    column: Column
    kind: CardKind
    text: CardText
    position: int | None = Field(default=None, ge=0, description="Index in the column; absent means last.")
    child_ids: ChildIds = ()


class EditCard(Model):
    type: Literal["edit_card"] = "edit_card"
    card_id: CardId
    base_version: int = Field(ge=1, description="The card version this edit was made against.")
    text: CardText | None = None
    kind: CardKind | None = None
    child_ids: ChildIds | None = Field(default=None, description="The children it concerns; absent: unchanged.")


class MoveCard(Model):
    """Moving never destroys words, so it needs no base version: the last move wins."""

    type: Literal["move_card"] = "move_card"
    card_id: CardId
    column: Column
    position: int = Field(ge=0, description="Index in the target column once the card is taken out.")
    kind: CardKind | None = Field(
        default=None,
        description="New kind, needed when the card's kind does not belong in the target column.",
    )


class DeleteCard(Model):
    type: Literal["delete_card"] = "delete_card"
    card_id: CardId
    base_version: int = Field(ge=1, description="Deleting needs the version the user saw, like an edit.")


CardOp = AddCard | EditCard | MoveCard | DeleteCard


def _check_kind(column: Column, kind: CardKind) -> None:
    if kind not in KINDS_BY_COLUMN[column]:
        allowed = ", ".join(k.value for k in KINDS_BY_COLUMN[column])
        raise InvalidOperation(f"A {kind.value} card does not belong in {column.value} (allowed: {allowed}).")


def _check_version(card: Card, base_version: int) -> None:
    if base_version != card.version:
        raise StaleVersion("Someone changed this card while you were working on it. Here is the current version.", card)


def _with_column(state: MeetingState, column: Column, cards: list[Card], seq: int) -> MeetingState:
    columns = dict(state.columns)
    columns[column] = tuple(cards)
    return state.model_copy(update={"columns": columns, "seq": seq})


def _located(state: MeetingState, card_id: str) -> tuple[Column, int, Card]:
    found = state.find(card_id)
    if found is None:
        raise CardNotFound("That card is no longer on the board.")
    return found


def add_card(state: MeetingState, op: AddCard, ctx: OpContext) -> Outcome:
    _check_kind(op.column, op.kind)
    check_children(state, op.child_ids)
    card_id = new_item_id(op.card_id, ctx, functools.partial(state.item, "card"))
    if state.find(card_id) is not None:
        raise CardAlreadyExists("A card with that id is already on the board.")
    card = Card(
        id=card_id,
        column=op.column,
        kind=op.kind,
        text=op.text,
        author_id=ctx.actor.participant_id,
        restricted=state.closed_part.active,
        child_ids=op.child_ids,
    )
    cards = list(state.columns[op.column])
    position = len(cards) if op.position is None else _among_all(cards, op.position, ctx)
    cards.insert(position, card)
    logged = op.model_copy(update={"card_id": card_id, "position": position})
    after = _with_column(state, op.column, cards, ctx.seq)
    return Outcome(after, (CardChange(id=card_id, value=card),), card_id, logged, created=True)


def edit_card(state: MeetingState, op: EditCard, ctx: OpContext) -> Outcome:
    column, index, card = _located(state, op.card_id)
    ctx.check_owner(card.author_id, "edit cards")
    if op.text is None and op.kind is None and op.child_ids is None:
        raise InvalidOperation("An edit must change the text, the kind, or the children it concerns.")
    _check_version(card, op.base_version)
    kind = op.kind or card.kind
    _check_kind(column, kind)
    if op.child_ids is not None:
        check_children(state, op.child_ids)
    text = op.text or card.text
    child_ids = card.child_ids if op.child_ids is None else op.child_ids
    changed = (text, kind, child_ids) != (card.text, card.kind, card.child_ids)
    # Saving the same words again is no change, and must not make a colleague's in-flight edit stale.
    edited = card.model_copy(
        update={
            "text": text,
            "kind": kind,
            "child_ids": child_ids,
            "version": card.version + changed,
            "edited_by": last_editor(card, ctx.actor.participant_id) if changed else card.edited_by,
        }
    )
    cards = list(state.columns[column])
    cards[index] = edited
    return Outcome(_with_column(state, column, cards, ctx.seq), (CardChange(id=card.id, value=edited),), card.id)


def move_card(state: MeetingState, op: MoveCard, ctx: OpContext) -> Outcome:
    column, index, card = _located(state, op.card_id)
    ctx.check_owner(card.author_id, "move cards")
    kind = op.kind or card.kind
    _check_kind(op.column, kind)
    # The version counts changes to the card's words (text, kind), so a move does not make a colleague's
    # in-flight edit stale unless the move had to change the kind.
    moved = card.model_copy(update={"column": op.column, "kind": kind, "version": card.version + (kind != card.kind)})
    source = list(state.columns[column])
    del source[index]
    after = _with_column(state, column, source, ctx.seq)
    target = list(after.columns[op.column])
    position = _among_all(target, op.position, ctx)
    target.insert(position, moved)
    logged = op.model_copy(update={"position": position, "kind": kind})
    after = _with_column(after, op.column, target, ctx.seq)
    return Outcome(after, (CardChange(id=card.id, value=moved),), card.id, logged)


def _among_all(cards: list[Card], position: int, ctx: OpContext) -> int:
    """Where in the whole column a card goes that its author placed at `position`: a family screen counts only the
    cards it has (docs/protocol.md), so there the card goes just before the one the screen shows at that index, or
    last. Counted among all, the family's card would land elsewhere than it was dropped, and probing where would
    count the cards kept from them. The log holds the position among all (`logged`), which a replay takes as is."""
    if ctx.as_logged or ctx.sees_kept_from_family:
        return min(position, len(cards))
    seen = [index for index, card in enumerate(cards) if not card.kept_from_family()]
    return seen[position] if position < len(seen) else len(cards)


def delete_card(state: MeetingState, op: DeleteCard, ctx: OpContext) -> Outcome:
    column, index, card = _located(state, op.card_id)
    ctx.check_owner(card.author_id, "delete cards")
    _check_version(card, op.base_version)
    cards = list(state.columns[column])
    del cards[index]
    return Outcome(_with_column(state, column, cards, ctx.seq), (CardChange(id=card.id, value=None),), card.id)


def restrict_card(state: MeetingState, card_id: str, restricted: bool) -> tuple[MeetingState, CardChange]:
    column, index, card = _located(state, card_id)
    changed = card.model_copy(update={"restricted": restricted})
    cards = list(state.columns[column])
    cards[index] = changed
    return _with_column(state, column, cards, state.seq), CardChange(id=card.id, value=changed)


HANDLERS: dict[type[BaseModel], Handler] = {
    AddCard: add_card,
    EditCard: edit_card,
    MoveCard: move_card,
    DeleteCard: delete_card,
}
