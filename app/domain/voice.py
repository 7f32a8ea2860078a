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
    AuthoredItem,
    ItemId,
    Model,
    ShortText,
    Text,
    check_new_id,
    check_version,
    last_editor,
    removed,
    replaced,
    require,
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


class ChildWordsChange(Model):
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


_FIELDS = ("house", "words", "shared", "told_to")


def _save(state: MeetingState, words: ChildWords, logged: Model | None = None) -> Outcome:
    after = state.model_copy(update={"voices": replaced(state.voices, words)})
    return Outcome(after, (ChildWordsChange(id=words.id, value=words),), words.id, logged)


def add_child_words(state: MeetingState, op: AddChildWords, ctx: OpContext) -> Outcome:
    require_child(state, op.child_id)
    voice_id = op.voice_id or ctx.new_id
    check_new_id(state.voices, voice_id, MAX_WORDS, "child's words")
    words = ChildWords(
        id=voice_id,
        child_id=op.child_id,
        author_id=ctx.actor.participant_id,
        restricted=state.closed_part.active,
        **{key: getattr(op, key) for key in _FIELDS},
    )
    return _save(state, words, op.model_copy(update={"voice_id": voice_id}))


def edit_child_words(state: MeetingState, op: EditChildWords, ctx: OpContext) -> Outcome:
    words = require(state.voices, op.voice_id, "child's words")
    ctx.check_owner(words.author_id, "change a child's words")
    check_version(words, op.base_version, "child's words")
    fields = {key: getattr(op, key) for key in _FIELDS}
    if all(getattr(words, key) == value for key, value in fields.items()):
        return _save(state, words)
    edited = words.model_copy(
        update={**fields, "version": words.version + 1, "edited_by": last_editor(words, ctx.actor.participant_id)}
    )
    return _save(state, edited)


def delete_child_words(state: MeetingState, op: DeleteChildWords, ctx: OpContext) -> Outcome:
    words = require(state.voices, op.voice_id, "child's words")
    ctx.check_owner(words.author_id, "delete a child's words")
    check_version(words, op.base_version, "child's words")
    after = state.model_copy(update={"voices": removed(state.voices, words.id)})
    return Outcome(after, (ChildWordsChange(id=words.id, value=None),), words.id)


HANDLERS: dict[type[BaseModel], Handler] = {
    AddChildWords: add_child_words,
    EditChildWords: edit_child_words,
    DeleteChildWords: delete_child_words,
}
