"""Replaying the op log rebuilds exactly the board everyone saw, whatever people and mistakes produced it.

Random meetings: several people in different roles send adds, edits, moves and deletes, many of them refused
(stale versions, kinds in the wrong column, forbidden roles, cards already deleted, duplicate ids). Like the
server, accepted operations are numbered and logged as `Applied.op`; refused ones are dropped.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from app.domain.board import KINDS_BY_COLUMN, Column
from app.domain.errors import DomainError, StaleVersion
from app.domain.operations import (
    EPOCH,
    Actor,
    AddCard,
    DeleteCard,
    apply_operation,
    operation_adapter,
    replay,
)
from app.domain.state import BoardState
from tests.support.operation_steps import Step, operation_steps, resolve

from ._support import CHAIR, GRAN, MINUTES, MUM, PROJECTOR, SOCIAL_WORKER, TEACHER, Op

# Writers appear more often than watchers so that most meetings get somewhere.
ACTORS = [CHAIR, SOCIAL_WORKER, TEACHER, MUM, GRAN, CHAIR, SOCIAL_WORKER, TEACHER, MUM, PROJECTOR, MINUTES]

LogEntry = tuple[int, Op, Actor, datetime]
steps = operation_steps(ACTORS)


def _check_invariants(state: BoardState) -> None:
    assert set(state.columns) == set(Column), "the board always shows all three columns"
    ids = [card.id for card in state.cards()]
    assert len(ids) == len(set(ids)), f"duplicate card ids on the board: {ids}"
    for column, cards in state.columns.items():
        for card in cards:
            assert card.column is column, f"{card.id} is listed in {column} but says {card.column}"
            assert card.version >= 1
            assert card.kind in KINDS_BY_COLUMN[column], f"a {card.kind} card ended up in {column}"
            assert card.text == card.text.strip() and 1 <= len(card.text) <= 1000


def _order_without(state: BoardState, card_id: str) -> dict[Column, list[str]]:
    return {column: [c.id for c in cards if c.id != card_id] for column, cards in state.columns.items()}


def _others(state: BoardState, card_id: str) -> dict[str, object]:
    return {c.id: c for c in state.cards() if c.id != card_id}


def _run(meeting: list[Step[Actor]]) -> tuple[BoardState, list[LogEntry], int]:
    state = BoardState()
    log: list[LogEntry] = []
    refused = 0
    authors: dict[str, str] = {}
    for number, step in enumerate(meeting):
        op = resolve(step, state)
        seq = state.seq + 1
        try:
            applied = apply_operation(state, op, step.actor, new_id=f"srv-{number}", seq=seq)
        except StaleVersion as error:
            refused += 1
            found = state.find(op.card_id)
            assert found is not None and error.current == found[2], "a stale refusal carries the current card"
            note(f"refused {step.actor.role} {op!r}: {error.code}")
            continue
        except DomainError as error:
            refused += 1
            assert error.code in {"invalid_operation", "forbidden", "card_not_found", "card_exists"}
            assert error.message
            note(f"refused {step.actor.role} {op!r}: {error.code}")
            continue
        note(f"seq {seq}: {step.actor.role} {applied.op!r}")
        before, state = state, applied.state
        assert state.seq == seq
        log.append((seq, applied.op, step.actor, EPOCH))
        _check_invariants(state)
        # Only the touched card changes; everyone else's cards keep their words and their order.
        assert _others(state, applied.card_id) == _others(before, applied.card_id)
        assert _order_without(state, applied.card_id) == _order_without(before, applied.card_id)
        if isinstance(applied.op, AddCard):
            assert applied.op.card_id == applied.card_id
            authors[applied.card_id] = step.actor.participant_id
        if isinstance(applied.op, DeleteCard):
            assert state.find(applied.card_id) is None
        else:
            found = state.find(applied.card_id)
            assert found is not None and found[2] == applied.card
        for card in state.cards():
            assert card.author_id == authors[card.id], "a card's author never changes"
    return state, log, refused


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=60))
def test_replaying_the_log_rebuilds_the_board_exactly(meeting: list[Step[Actor]]) -> None:
    final, log, refused = _run(meeting)
    event(f"accepted {min(len(log) // 10 * 10, 30)}+")
    event("some refused" if refused else "none refused")

    rebuilt = replay(log)
    assert rebuilt == final
    assert rebuilt.cards() == final.cards()
    assert {c: list(cards) for c, cards in rebuilt.columns.items()} == {
        c: list(cards) for c, cards in final.columns.items()
    }
    assert replay(log) == rebuilt, "replaying twice gives the same board"

    # The store keeps the log as JSON: reading it back and replaying still gives the same board.
    from_storage = [
        (seq, operation_adapter.validate_json(op.model_dump_json()), actor, at) for seq, op, actor, at in log
    ]
    assert replay(from_storage) == final
    # And a JSON snapshot of the board reads back as the same board.
    assert BoardState.model_validate_json(final.model_dump_json()) == final


@settings(max_examples=50, deadline=None)
@given(st.lists(steps, max_size=30), st.integers(0, 30))
def test_replaying_a_prefix_gives_the_board_as_it_was_then(meeting: list[Step[Actor]], cut: int) -> None:
    """A client that reconnects at sequence n is brought up to date from the board at n."""
    state = BoardState()
    log: list[LogEntry] = []
    boards = [state]
    for number, step in enumerate(meeting):
        try:
            applied = apply_operation(
                state, resolve(step, state), step.actor, new_id=f"srv-{number}", seq=state.seq + 1
            )
        except DomainError:
            continue
        state = applied.state
        log.append((state.seq, applied.op, step.actor, EPOCH))
        boards.append(state)
    cut = min(cut, len(log))
    assert replay(log[:cut]) == boards[cut]
    # Continuing from the snapshot at `cut` with the rest of the log reaches the same end.
    resumed = boards[cut]
    for seq, op, actor, _at in log[cut:]:
        resumed = apply_operation(resumed, op, actor, new_id="", seq=seq).state
    assert resumed == state


def test_replay_of_an_empty_log_is_an_empty_board() -> None:
    assert replay([]) == BoardState()
    assert replay([]).cards() == []
