"""The family rule counted over a list: the count each added item's place among what the family sees comes from."""

from __future__ import annotations

from app.domain.board import Card, CardKind, Column
from app.domain.items import count_kept_from_family, kept_from_family
from app.domain.voice import ChildWords, House


def _card(n: int, restricted: bool) -> Card:
    return Card(id=f"c{n}", column=Column.worries, kind=CardKind.harm, text=f"worry {n}", author_id="sw-1",
                restricted=restricted)  # fmt: skip


def _words(n: int, restricted: bool, shared: bool) -> ChildWords:
    return ChildWords(id=f"w{n}", author_id="sw-1", child_id="amy", house=House.worries, words=f"words {n}",
                      shared=shared, restricted=restricted)  # fmt: skip


def test_cards_kept_from_the_family_are_the_restricted_ones() -> None:
    cards = [_card(n, restricted=n % 3 == 0) for n in range(10)]
    assert count_kept_from_family(cards) == 4
    assert count_kept_from_family(cards[1:3]) == 0
    assert count_kept_from_family([]) == 0


def test_a_kind_with_its_own_rule_is_counted_by_that_rule() -> None:
    # A child's words not shared with the family are kept from them though nobody restricted them.
    words = [_words(0, restricted=False, shared=False), _words(1, restricted=False, shared=True),
             _words(2, restricted=True, shared=True)]  # fmt: skip
    assert count_kept_from_family(words) == 2
    assert count_kept_from_family(words) == sum(map(kept_from_family, words))
