"""Replaying the op log rebuilds exactly the board everyone saw, whatever people and mistakes produced it.

Random meetings: several people in different roles send adds, edits, moves and deletes, many of them refused
(stale versions, kinds in the wrong column, forbidden roles, cards already deleted, duplicate ids). Like the
server, accepted operations are numbered and logged as `Applied.op`; refused ones are dropped.

Random conferences (tests/support/conference_steps.py): every operation type from every role, each refused only
with a documented code. After each accepted op the meeting keeps its invariants (no item names a child or person
who is not there, authors never change, what is added during a closed part is restricted, the family's snapshot
and events hold nothing kept from them). The log, read back as the store does, replays from the meeting's genesis
to exactly the same meeting, and any prefix to the meeting as it was then.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from app.domain.agendas import MeetingKind
from app.domain.board import KINDS_BY_COLUMN, Column
from app.domain.decision import Decision
from app.domain.errors import DomainError, StaleVersion
from app.domain.operations import (
    EPOCH,
    Actor,
    AddCard,
    AnyOperation,
    Applied,
    DeleteCard,
    apply_operation,
    operation_adapter,
    replay,
)
from app.domain.plan import AttendeeOwner, NetworkOwner
from app.domain.roles import OpType, Role
from app.domain.scaling import Answer
from app.domain.state import BoardState, MeetingState
from app.domain.visibility import Viewer, changes_for, meeting_for
from tests.support.conference_ops import START, MeetingFixture, setup_steps
from tests.support.conference_steps import OP_TYPES, ConferenceStep, conference_steps
from tests.support.conference_steps import resolve as resolve_conference
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
        resumed = apply_operation(resumed, op, actor, new_id="", seq=seq, as_logged=True).state
    assert resumed == state


def test_replay_of_an_empty_log_is_an_empty_board() -> None:
    assert replay([]) == BoardState()
    assert replay([]).cards() == []


# The whole conference: every operation type from every role, many refused on purpose.

CONFERENCE_ACTORS = [
    CHAIR,
    CHAIR,
    CHAIR,
    SOCIAL_WORKER,
    SOCIAL_WORKER,
    TEACHER,
    MUM,
    MUM,
    GRAN,
    Actor("tablet-1", Role.family, display_name="Kelly"),
    PROJECTOR,
    MINUTES,
]
conference = conference_steps(CONFERENCE_ACTORS, lambda actor: actor.role)
ConferenceLog = list[tuple[int, AnyOperation, Actor, datetime]]

# Every refusal the rules document.
CODES = {
    "invalid_operation",
    "forbidden",
    "card_not_found",
    "card_exists",
    "item_not_found",
    "child_not_found",
    "stale_version",
    "phase_changed",
    "round_not_open",
    "round_already_revealed",
    "closed_part_running",
    "no_closed_part",
    "meeting_read_only",
}
FAMILY_VIEWER = Viewer("mum-1", Role.family)


def _authored(state: MeetingState) -> dict[tuple[str, str], str]:
    items: dict[str, tuple[Any, ...]] = {
        "card": tuple(state.cards()),
        "statement": state.statements,
        "network_member": state.network,
        "step": state.steps,
        "voice": state.voices,
        "decision": state.decisions,
        "decision_note": state.decision_notes,
    }
    return {(entity, item.id): item.author_id for entity, listed in items.items() for item in listed}


def _check_meeting(state: MeetingState) -> None:
    """What holds in every meeting, whatever happened in it."""
    for field in ("children", "attendees", "statements", "rounds", "answers", "network", "steps", "voices"):
        ids = [item.id for item in getattr(state, field)]
        assert len(ids) == len(set(ids)), f"duplicate ids in {field}: {ids}"
    children = {child.id for child in state.children}
    named = [*state.cards(), *state.statements, *state.steps]
    assert all(set(item.child_ids) <= children for item in named), "an item names a child who is not in the meeting"
    about = [*state.decisions, *state.decision_notes, *state.voices]
    assert all(item.child_id in children for item in about), "something is recorded for a child who is not there"
    rounds = {scale.id: scale for scale in state.rounds}
    statements = {statement.id for statement in state.statements}
    assert all(scale.statement_id in statements for scale in state.rounds if scale.statement_id is not None)
    attendees = {attendee.id for attendee in state.attendees}
    for answer in state.answers:
        assert answer.round_id in rounds
        assert answer.revealed == rounds[answer.round_id].revealed, "a round and its answers are revealed together"
        # Restricting or lifting a round takes its answers with it; an answer given in a closed part is kept from
        # the family on its own, even in a round opened before.
        assert answer.restricted or not rounds[answer.round_id].restricted, "a restricted round restricts its answers"
        assert answer.attendee_id is None or answer.attendee_id in attendees
    for step in state.steps:
        if isinstance(step.who, AttendeeOwner):
            assert step.who.attendee_id in attendees
        if isinstance(step.who, NetworkOwner):
            assert step.who.member_id in {member.id for member in state.network}
    if state.focus is not None:
        assert state.focus.restricted == _focused_is_kept(state), "the focus follows its item's restriction"
    # The family's snapshot holds nothing kept from them and nobody else's unrevealed answer.
    family = meeting_for(state, FAMILY_VIEWER)
    shown = [*family.cards(), *family.statements, *family.rounds, *family.network, *family.steps, *family.voices]
    shown += [*family.decisions, *family.decision_notes, *family.answers]
    assert not any(item.kept_from_family() for item in shown)
    assert family.focus is None or not family.focus.restricted
    assert all(a.value is None for a in family.answers if not a.revealed and a.submitted_by != "mum-1")
    assert MeetingState.model_validate_json(state.model_dump_json()) == state


def _focused_is_kept(state: MeetingState) -> bool:
    focus = state.focus
    assert focus is not None
    if focus.entity == "card":
        found = state.find(focus.item_id)
        assert found is not None, "the focus is on a card that is gone"
        return found[2].kept_from_family()
    field = {"network_member": "network", "child": "children", "voice": "voices"}.get(focus.entity, f"{focus.entity}s")
    item = next((i for i in getattr(state, field) if i.id == focus.item_id), None)
    assert item is not None, f"the focus is on a {focus.entity} that is gone"
    return bool(item.kept_from_family()) if hasattr(item, "kept_from_family") else False


def _current(state: MeetingState, item: Any) -> Any:
    """The item of the same kind with this one's id, as the meeting holds it now (None: not in the meeting)."""
    versioned = (state.cards(), state.statements, state.children, state.attendees, state.network, state.steps)
    candidates = [*itertools.chain(*versioned), *state.decisions, *state.voices]
    return next((c for c in candidates if c.id == item.id and type(c) is type(item)), None)


def _check_event(applied: Applied) -> None:
    """What a family screen receives of this operation: nothing kept from them, nobody else's answer."""
    shown, _ = changes_for(applied.changes, FAMILY_VIEWER)
    values = [change.value for change in shown if change.value is not None]
    assert not any(value.kept_from_family() for value in values if hasattr(value, "kept_from_family"))
    assert all(
        a.value is None and a.reason is None
        for a in values
        if isinstance(a, Answer) and a.submitted_by != "mum-1" and not a.revealed
    )


def _run_conference(
    kind: MeetingKind, meeting: list[ConferenceStep[Actor]], seeded: bool = True
) -> tuple[MeetingState, ConferenceLog, list[MeetingState]]:
    """Run the steps like the server, from a new meeting of `kind`; when `seeded`, the log starts with the
    fixture meeting of conference_ops (children, people, cards, statements, a round...), so that most steps
    find something to act on."""
    genesis = state = MeetingState.new(kind)
    log: ConferenceLog = []
    states = [state]
    authors = _authored(state)
    at = START
    fixture = MeetingFixture()
    seed = [(fixture.actor(author), operation_adapter.validate_python(op)) for author, op in setup_steps(fixture)]
    for number, step in enumerate([*(seed if seeded else []), *meeting]):
        if isinstance(step, ConferenceStep):
            op = resolve_conference(step, state)
            actor = step.actor
        else:
            actor, op = step
        seq = state.seq + 1
        at += timedelta(seconds=30)
        try:
            applied = apply_operation(state, op, actor, new_id=f"srv-{number}", seq=seq, at=at)
        except StaleVersion as error:
            now = _current(state, error.current)
            if now is None:  # a decision not yet in the meeting: refused with an empty one for that child
                assert isinstance(error.current, Decision) and error.current.outcome is None
                assert error.current.family_view is None
            else:
                assert error.current == now, "a stale refusal carries the item as it is now"
            note(f"refused {actor.role} {op!r}: stale")
            continue
        except DomainError as error:
            assert error.code in CODES and error.message, error
            note(f"refused {actor.role} {op!r}: {error.code}")
            continue
        note(f"seq {seq}: {actor.participant_id} {applied.op!r}")
        event(f"accepted {applied.op.type}")
        before, state = state, applied.state
        assert state.seq == seq and applied.changes
        if before.closed_part.active:
            now = _restrictable(state)
            added = now.keys() - _restrictable(before).keys()
            assert all(now[key] for key in added), "everything added during a closed part is restricted"
        authors, earlier = _authored(state), authors
        for key in authors.keys() & earlier.keys():
            assert authors[key] == earlier[key], f"the author of {key} changed"
        _check_meeting(state)
        _check_event(applied)
        log.append((seq, applied.op, actor, at))
        states.append(state)
    assert replay([], genesis) == genesis
    return genesis, log, states


def _restrictable(state: MeetingState) -> dict[tuple[str, str], bool]:
    """Every item the chair may restrict, and whether it is."""
    items: dict[str, tuple[Any, ...]] = {
        "card": tuple(state.cards()),
        "statement": state.statements,
        "round": state.rounds,
        "network_member": state.network,
        "step": state.steps,
        "voice": state.voices,
        "decision": state.decisions,
        "decision_note": state.decision_notes,
    }
    return {(entity, item.id): item.restricted for entity, listed in items.items() for item in listed}


def _as_stored(log: ConferenceLog) -> ConferenceLog:
    """The log as the store reads it back: each op from its JSON, each actor without a name."""
    return [
        (seq, operation_adapter.validate_json(op.model_dump_json()), Actor(actor.participant_id, actor.role), at)
        for seq, op, actor, at in log
    ]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(MeetingKind)), st.lists(conference, min_size=20, max_size=100), st.booleans())
def test_replaying_a_conference_from_its_genesis_rebuilds_it_exactly(
    kind: MeetingKind, meeting: list[ConferenceStep[Actor]], seeded: bool
) -> None:
    genesis, log, states = _run_conference(kind, meeting, seeded)
    final = states[-1]
    event(f"accepted {min(len(log) // 20 * 20, 60)}+")

    assert replay(log, genesis) == final
    assert replay(_as_stored(log), genesis) == final, "the log read back from storage replays the same"
    assert replay(_as_stored(log), genesis).model_dump_json() == final.model_dump_json()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conference, max_size=60), st.integers(0, 60))
def test_replaying_a_prefix_of_a_conference_gives_the_meeting_as_it_was_then(
    meeting: list[ConferenceStep[Actor]], cut: int
) -> None:
    genesis, log, states = _run_conference(MeetingKind.initial_conference, meeting)
    cut = min(cut, len(log))
    assert replay(_as_stored(log[:cut]), genesis) == states[cut]
    assert replay(_as_stored(log[cut:]), states[cut]) == states[-1], "a snapshot plus the rest of the log"


def test_every_operation_type_can_be_drawn() -> None:
    assert {OpType(op_type) for op_type in OP_TYPES} == set(OpType)
