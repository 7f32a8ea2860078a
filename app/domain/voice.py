"""The child's voice: the children's own words (or drawings, described), as told to the social worker, gathered
with tools such as the Three Houses (worries, good things, dreams). Words the child did not agree to share with
the family are kept from the family and the room screen, like a closed-part item (visibility.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.children import require_child
from app.domain.context import Handler, OpContext, Outcome
from app.domain.items import (
    AuthoredCollection,
    AuthoredItem,
    ItemChange,
    ItemId,
    Model,
    ShortText,
    Text,
)

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_WORDS = 100


class House(StrEnum):
    worries = "worries"
    good_things = "good_things"
    dreams = "dreams"


class ChildWords(AuthoredItem):
    child_id: ItemId
    house: House
    words: Text = Field(description="In the child's own words, or a description of their drawing.")
    shared: bool = Field(description="The child agreed that these words may be shared with their family.")
    told_to: ShortText = Field(default="", description="Who the child told, and when.")

    def kept_from_family(self) -> bool:
        return self.restricted or not self.shared


class ChildWordsChange(ItemChange):
    entity: Literal["voice"] = "voice"
    id: ItemId
    value: ChildWords | None


class _Words(Model):
    house: House
    words: Text
    shared: bool = False
    told_to: ShortText = ""


class AddChildWords(_Words):
    type: Literal["add_child_words"] = "add_child_words"
    voice_id: ItemId | None = None
    child_id: ItemId


class EditChildWords(_Words):
    type: Literal["edit_child_words"] = "edit_child_words"
    voice_id: ItemId
    base_version: int = Field(ge=1)


class DeleteChildWords(Model):
    type: Literal["delete_child_words"] = "delete_child_words"
    voice_id: ItemId
    base_version: int = Field(ge=1)


WORDS = AuthoredCollection(
    field="voices",
    item=ChildWords,
    change=ChildWordsChange,
    id_field="voice_id",
    words=("house", "words", "shared", "told_to"),
    what="child's words",
    limit=MAX_WORDS,
)


def add_child_words(state: MeetingState, op: AddChildWords, ctx: OpContext) -> Outcome:
    require_child(state, op.child_id)
    return WORDS.add(state, op, ctx, child_id=op.child_id)


def edit_child_words(state: MeetingState, op: EditChildWords, ctx: OpContext) -> Outcome:
    return WORDS.edit(state, op, ctx, "change a child's words")


def delete_child_words(state: MeetingState, op: DeleteChildWords, ctx: OpContext) -> Outcome:
    return WORDS.delete(state, op, ctx, "delete a child's words")


HANDLERS: dict[type[BaseModel], Handler] = {
    AddChildWords: add_child_words,
    EditChildWords: edit_child_words,
    DeleteChildWords: delete_child_words,
}
