"""What every item on a meeting's record shares: ids, text limits, versions, authorship, restriction, and the
small collection functions the concept modules use to change a tuple of items without mutating it."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.domain.context import OpContext, Outcome
from app.domain.errors import InvalidOperation, ItemNotFound, StaleVersion

if TYPE_CHECKING:
    from app.domain.state import MeetingState

TEXT_MAX = 1000
"""Characters in one field: enough for a danger statement, short enough to read on a projected wall."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> str:
    """Refuse what no one types and a store cannot keep: PostgreSQL refuses NUL in text (the op would fail with
    `internal` after being accepted), and a lone surrogate (JSON `"\\ud800"`, which an HTTP body may carry)
    cannot be encoded as UTF-8 to be written or sent."""
    if _UNSTORABLE.search(text):
        raise ValueError("must not contain a NUL character or a lone surrogate")
    return text


Storable = AfterValidator(_storable)
"""For every field of words a person writes."""


def sent_at_most(characters: int) -> BeforeValidator:
    """The length bound checked on the words as sent, before whitespace is stripped, as the JSON Schema's
    `maxLength` says. Checked only after stripping, words over the bound were taken when they began or ended with
    spaces, against the schema a client validates with (the API fuzzer found it)."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > characters:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": characters},
            )
        return value

    return BeforeValidator(check)


ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ParticipantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX), sent_at_most(TEXT_MAX), Storable
]
"""Words someone wrote: never empty."""
OptionalText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX), sent_at_most(TEXT_MAX), Storable
]
"""Words that may be left blank while the room works on the rest."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), sent_at_most(80), Storable]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120), sent_at_most(120), Storable]
ChildIds = Annotated[tuple[ItemId, ...], Field(max_length=12, description="The children this concerns (ids).")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Item(Model):
    id: ItemId
    version: int = Field(default=1, ge=1, description="Starts at 1; every accepted change to its words adds one.")


class AuthoredItem(Item):
    """Written by someone in the room: who wrote it stays; who changed it last is added beside it."""

    author_id: ParticipantId
    edited_by: ParticipantId | None = Field(
        default=None, description="Who last changed the words, when that was not the author (authorship never moves)."
    )
    restricted: bool = Field(
        default=False, description="Kept from the family and the room screen (closed part, or marked by the chair)."
    )

    def kept_from_family(self) -> bool:
        """Whether the family and the room screen must never receive it (visibility.py applies this)."""
        return self.restricted


class Change(Model):
    """What an operation changed, as the server keeps it. Fields marked `exclude` never leave the server: they let
    visibility.py filter a stored change per connection without the meeting around it."""

    was_public: bool = Field(
        default=True, exclude=True, description="Whether the family and the room screen could see it before the op."
    )


class ItemChange(Change):
    """A change to one item of a list (a card: of its column)."""

    id: str
    position: int | None = Field(
        default=None,
        ge=0,
        description="Where the item now stands in its list as this connection sees the list (a card: in its "
        "column); null when it is removed.",
    )
    public_position: int | None = Field(default=None, ge=0, exclude=True)


def kept_from_family(item: object) -> bool:
    """Whether the family and the room screen must never receive this item (items without the rule: never)."""
    check = getattr(item, "kept_from_family", None)
    return bool(check()) if check is not None else False


_RESTRICTED = operator.attrgetter("restricted")


def count_kept_from_family(items: Sequence[object]) -> int:
    """How many of `items` the family may not see. Where every kind among them keeps the plain rule (its
    `restricted` flag, as cards do), the flags are summed without a call per item: every op that adds to a column
    counts the column, and a call per card made a 100-card board's add three times its cost on an empty one."""
    if all(getattr(kind, "kept_from_family", None) is AuthoredItem.kept_from_family for kind in set(map(type, items))):
        return sum(map(_RESTRICTED, items))
    return sum(map(kept_from_family, items))


class HasId(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=HasId)


def find(items: Iterable[ItemT], item_id: str) -> ItemT | None:
    return next((item for item in items if item.id == item_id), None)


def require(items: Iterable[ItemT], item_id: str, what: str) -> ItemT:
    found = find(items, item_id)
    if found is None:
        raise ItemNotFound(f"That {what} is not in this meeting (any more).")
    return found


def replaced(items: tuple[ItemT, ...], item: ItemT) -> tuple[ItemT, ...]:
    """The tuple with `item` in place of the one with its id, or added at the end."""
    if any(existing.id == item.id for existing in items):
        return tuple(item if existing.id == item.id else existing for existing in items)
    return (*items, item)


def removed(items: tuple[ItemT, ...], item_id: str) -> tuple[ItemT, ...]:
    return tuple(item for item in items if item.id != item_id)


def new_item_id(named: str | None, ctx: OpContext, taken_by: Callable[[str], object | None]) -> str:
    """The id a new item gets: the one the op names, else a fresh one. Also a fresh one when the family named the id
    of an item kept from them: refused as taken, they would learn that the item exists; the ack and the event name
    the id the new item got, as for any add."""
    if not named:
        return ctx.new_id
    if not ctx.sees_kept_from_family and kept_from_family(taken_by(named)):
        return ctx.new_id
    return named


def check_new_id(items: Iterable[HasId], item_id: str, limit: int, what: str) -> None:
    if find(items, item_id) is not None:
        raise InvalidOperation(f"A {what} with that id is already in this meeting.")
    if sum(1 for _ in items) >= limit:
        raise InvalidOperation(f"This meeting already has {limit} of these; that is the most one meeting can hold.")


def check_version(item: Item, base_version: int, what: str) -> None:
    if base_version != item.version:
        raise StaleVersion(
            f"Someone changed this {what} while you were working on it. Here is the current version.", item
        )


class Authored(Protocol):
    @property
    def author_id(self) -> str: ...

    @property
    def edited_by(self) -> str | None: ...


def last_editor(item: Authored, editor_id: str) -> str | None:
    """Who to show as the last to change an item's words: nobody while only its author has."""
    return None if editor_id == item.author_id and item.edited_by is None else editor_id


AuthoredT = TypeVar("AuthoredT", bound=AuthoredItem)


@dataclass(frozen=True, slots=True)
class AuthoredCollection(Generic[AuthoredT]):
    """One kind of item people write (danger statements, the safety network, next steps, a child's words): the
    same rules to add, edit and delete each, so every such item keeps its author, counts its versions and is
    restricted when added during a closed part in exactly one way."""

    field: str
    """The MeetingState field that holds them."""
    item: type[AuthoredT]
    change: Callable[..., Any]
    """Its change model: (id, value)."""
    id_field: str
    """The operations' field naming the item."""
    words: tuple[str, ...]
    """The operations' fields copied onto the item."""
    what: str
    limit: int

    def all(self, state: MeetingState) -> tuple[AuthoredT, ...]:
        items: tuple[AuthoredT, ...] = getattr(state, self.field)
        return items

    def get(self, state: MeetingState, item_id: str) -> AuthoredT:
        return require(self.all(state), item_id, self.what)

    def save(self, state: MeetingState, item: AuthoredT, logged: BaseModel | None = None) -> Outcome:
        after = state.model_copy(update={self.field: replaced(self.all(state), item)})
        return Outcome(after, (self.change(id=item.id, value=item),), item.id, logged)

    def add(self, state: MeetingState, op: BaseModel, ctx: OpContext, **more: Any) -> Outcome:
        items = self.all(state)
        item_id = new_item_id(getattr(op, self.id_field), ctx, functools.partial(find, items))
        check_new_id(items, item_id, self.limit, self.what)
        item = self.item(
            id=item_id,
            author_id=ctx.actor.participant_id,
            restricted=state.closed_part.active,
            **{key: getattr(op, key) for key in self.words},
            **more,
        )
        return self.save(state, item, op.model_copy(update={self.id_field: item_id}))

    def edit(self, state: MeetingState, op: BaseModel, ctx: OpContext, doing: str) -> Outcome:
        item = self.get(state, getattr(op, self.id_field))
        ctx.check_owner(item.author_id, doing)
        check_version(item, getattr(op, "base_version"), self.what)  # noqa: B009
        words = {key: getattr(op, key) for key in self.words}
        if all(getattr(item, key) == value for key, value in words.items()):
            return self.save(state, item)  # the same words again: no new version, nobody's edit made stale
        editor = last_editor(item, ctx.actor.participant_id)
        return self.save(state, item.model_copy(update={**words, "version": item.version + 1, "edited_by": editor}))

    def delete(self, state: MeetingState, op: BaseModel, ctx: OpContext, doing: str) -> Outcome:
        item = self.get(state, getattr(op, self.id_field))
        ctx.check_owner(item.author_id, doing)
        check_version(item, getattr(op, "base_version"), self.what)  # noqa: B009
        return self.remove(state, item.id)

    def remove(self, state: MeetingState, item_id: str) -> Outcome:
        after = state.model_copy(update={self.field: removed(self.all(state), item_id)})
        return Outcome(after, (self.change(id=item_id, value=None),), item_id)
