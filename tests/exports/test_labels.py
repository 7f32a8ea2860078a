"""Plain words: every code a record holds has words a family understands, so none reaches a copy as a code."""

from __future__ import annotations

from typing import Any

import pytest

from app.exports import labels


@pytest.mark.parametrize("table", labels.TABLES, ids=lambda t: type(next(iter(t))).__name__)
def test_every_code_has_plain_words(table: dict[Any, str]) -> None:
    members = set(type(next(iter(table))))
    assert set(table) == members
    for words in table.values():
        assert words and "_" not in words, words
