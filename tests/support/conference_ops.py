"""One valid operation of every type, built from a small description of a meeting, so that the role x operation
table can be tested cell by cell: in the domain (tests/domain/test_permissions.py) and over the websocket.

The meeting fixture
-------------------
`MeetingFixture` holds the participant id of one person per role and the ids of what `setup_steps` puts in the
meeting before a case runs. Everything is written through ordinary operations, so a websocket test can send the
same steps; the ids are chosen by the client, so both sides know them in advance.

- `child`: a child with words (`voices`) and a recorded decision (Child Protection plan, neglect), and a
  disagreement recorded with it (`note`);
- `spare_child`: a child with nothing recorded, who may be removed or get a first decision;
- `attendee`: someone in the room without a device, recorded by the chair;
- per author (a role name: "chair", "professional", "family"), one item of each kind that role may write:
  `cards` (all three; grey areas in worries, so a move fits any column), `statements`, `network` (safety network
  members), `steps` (next steps) and `voices` (a child's words, shared with the family): chair and professional;
- `round`: an open overall scaling round that nobody has answered.

Nothing is restricted, no closed part is running, and nobody has checked in, so every role that may do an
operation can do it on this meeting. `people` are the participant ids the domain tests act as; over the
websocket, send each step from a connection of the role it names (the server takes the author from the session).
Each case expects a fresh fixture meeting: a case may remove, reveal or close what another case needs.

Builders
--------
`case_for(op_type, f, owner)` -> `Case(before, op)`: one operation of that type (`op`, a JSON-able dict as a
client sends it) and the steps that must run before it on the fixture meeting (`before`, usually none; ending a
closed part needs one running). `owner` names whose item the operation acts on, for items that have an author;
other builders ignore it. A step is `(author, op)` with `author` a role name.

`cells()` lists every (role, operation type, owner, expected outcome) of the table: `any` is expected to be
accepted on someone else's item, `none` refused with `forbidden`, and `own` accepted on the role's own item and
refused with `forbidden` on someone else's.

`ConferenceRoom` applies operations (models or dicts) like the server does, for the domain tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest

from app.domain.errors import DomainError
from app.domain.operations import Actor, AnyOperation, Applied, apply_operation, operation_adapter
from app.domain.roles import PERMISSIONS, OpType, Role, Scope
from app.domain.state import MeetingState

OpDict = dict[str, Any]
Step = tuple[str, OpDict]
"""(author: a role name, the operation as a client sends it)."""

WRITERS = ("chair", "professional", "family")
"""The roles that write items of their own."""


@dataclass(frozen=True)
class MeetingFixture:
    people: dict[str, str] = field(
        default_factory=lambda: {
            "chair": "chair-1",
            "professional": "sw-1",
            "family": "mum-1",
            "projector": "projector-1",
            "observer": "minutes-1",
        }
    )
    child: str = "child-a"
    spare_child: str = "child-b"
    attendee: str = "attendee-gran"
    round: str = "round-start"
    note: str = "note-dissent"
    cards: dict[str, str] = field(default_factory=lambda: {who: f"card-{who}" for who in WRITERS})
    statements: dict[str, str] = field(default_factory=lambda: {who: f"statement-{who}" for who in WRITERS[:2]})
    network: dict[str, str] = field(default_factory=lambda: {who: f"member-{who}" for who in WRITERS[:2]})
    steps: dict[str, str] = field(default_factory=lambda: {who: f"step-{who}" for who in WRITERS[:2]})
    voices: dict[str, str] = field(default_factory=lambda: {who: f"voice-{who}" for who in WRITERS[:2]})

    def actor(self, role: str | Role) -> Actor:
        role = Role(role)
        return Actor(self.people[role.value], role)


def setup_steps(f: MeetingFixture) -> list[Step]:
    """The operations that build the fixture meeting, in order."""
    steps: list[Step] = [
        ("chair", {"type": "add_child", "child_id": f.child, "name": "A.", "age": 7}),
        ("chair", {"type": "add_child", "child_id": f.spare_child, "name": "B.", "age": 4}),
        (
            "chair",
            {
                "type": "add_attendee",
                "attendee_id": f.attendee,
                "name": "Gran",
                "role_label": "Gran",
                "group": "family",
            },
        ),
    ]
    for who, card_id in f.cards.items():
        steps.append(
            (
                who,
                {
                    "type": "add_card",
                    "card_id": card_id,
                    "column": "worries",
                    "kind": "grey_area",
                    "text": f"Written by the {who}",
                },
            )
        )
    for who, statement_id in f.statements.items():
        statement = {
            "type": "add_statement",
            "statement_id": statement_id,
            "who_is_worried": f"The {who}",
            "behaviour": "Dad drinks and shouts at night",
            "impact": "A. is frightened and does not sleep",
            "if_nothing_changes": "A. could be hurt",
            "child_ids": [f.child],
        }
        steps.append((who, statement))
    for who, member_id in f.network.items():
        steps.append((who, {"type": "add_network_member", "member_id": member_id, "name": f"Friend of the {who}"}))
    for who, step_id in f.steps.items():
        steps.append((who, {"type": "add_step", "step_id": step_id, "what": f"Visit weekly ({who})"}))
    for who, voice_id in f.voices.items():
        words = {"type": "add_child_words", "voice_id": voice_id, "child_id": f.child, "house": "good_things"}
        steps.append((who, {**words, "words": "I like my bike", "shared": True}))
    steps += [
        (
            "chair",
            {
                "type": "record_decision",
                "child_id": f.child,
                "base_version": 0,
                "outcome": "child_protection_plan",
                "categories": ["neglect"],
                "reasons": "Not enough food at home",
            },
        ),
        (
            "chair",
            {
                "type": "add_decision_note",
                "note_id": f.note,
                "child_id": f.child,
                "kind": "dissent",
                "who": "School",
                "reason": "Things got better",
            },
        ),
        ("chair", {"type": "open_round", "round_id": f.round, "label": "start"}),
    ]
    return steps


@dataclass(frozen=True)
class Case:
    before: list[Step]
    op: OpDict


Builder = Callable[[MeetingFixture, str], Case]
BUILDERS: dict[OpType, Builder] = {}


def _builds(op_type: OpType) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        BUILDERS[op_type] = builder
        return builder

    return register


def _simple(op_type: OpType, make: Callable[[MeetingFixture, str], OpDict]) -> None:
    BUILDERS[op_type] = lambda f, owner: Case([], {"type": op_type.value, **make(f, owner)})


_simple(OpType.add_card, lambda f, o: {"column": "working_well", "kind": "strength", "text": "Mum cooks"})
_simple(OpType.edit_card, lambda f, o: {"card_id": f.cards[o], "base_version": 1, "text": "New words"})
_simple(OpType.move_card, lambda f, o: {"card_id": f.cards[o], "column": "working_well", "position": 0})
_simple(OpType.delete_card, lambda f, o: {"card_id": f.cards[o], "base_version": 1})
_simple(OpType.set_phase, lambda f, o: {"phase": "worries", "from_phase": "welcome", "timer_minutes": 20})
_simple(OpType.set_timer, lambda f, o: {"minutes": 10})
_simple(OpType.add_child, lambda f, o: {"name": "C.", "age": 1})
_simple(OpType.edit_child, lambda f, o: {"child_id": f.child, "base_version": 1, "name": "Amy", "age": 8})
_simple(OpType.remove_child, lambda f, o: {"child_id": f.spare_child})
_simple(OpType.add_attendee, lambda f, o: {"name": "Health visitor", "agency": "Health", "status": "apologies"})
_simple(
    OpType.edit_attendee,
    lambda f, o: {"attendee_id": f.attendee, "base_version": 1, "name": "Gran", "group": "family", "report_sent": True},
)
_simple(OpType.set_attendance, lambda f, o: {"attendee_id": f.attendee, "status": "left"})
_simple(OpType.check_in, lambda f, o: {"name": "Someone on a device"})
_simple(OpType.confirm_attendee, lambda f, o: {"attendee_id": f.attendee})
_simple(OpType.remove_attendee, lambda f, o: {"attendee_id": f.attendee})
_simple(OpType.add_statement, lambda f, o: {"behaviour": "Mum's new partner has hit her", "child_ids": [f.child]})
_simple(
    OpType.edit_statement,
    lambda f, o: {"statement_id": f.statements[o], "base_version": 1, "behaviour": "Dad drinks every night"},
)
_simple(OpType.delete_statement, lambda f, o: {"statement_id": f.statements[o], "base_version": 1})
_simple(
    OpType.set_family_view,
    lambda f, o: {
        "statement_id": f.statements["professional"],
        "base_version": 0,
        "agreement": "partly",
        "words": "Not every night",
    },
)
_simple(
    OpType.set_safety_goal,
    lambda f, o: {
        "statement_id": f.statements["professional"],
        "base_version": 0,
        "adults_will": "Dad stops drinking at home",
    },
)
_simple(OpType.open_round, lambda f, o: {"statement_id": f.statements["professional"], "label": "end"})
_simple(OpType.answer_round, lambda f, o: {"round_id": f.round, "value": 6, "reason": "Gran helps every day"})
_simple(OpType.answer_for, lambda f, o: {"round_id": f.round, "attendee_id": f.attendee, "value": 7})
_simple(OpType.reveal_round, lambda f, o: {"round_id": f.round})
_simple(OpType.add_network_member, lambda f, o: {"name": "Neighbour", "agreed_to": "Walk A. to school"})
_simple(
    OpType.edit_network_member,
    lambda f, o: {"member_id": f.network[o], "base_version": 1, "name": "Aunt Sue", "relationship": "Aunt"},
)
_simple(OpType.remove_network_member, lambda f, o: {"member_id": f.network[o], "base_version": 1})
_simple(
    OpType.add_step,
    lambda f, o: {"what": "Gran collects A. on Fridays", "who": {"kind": "attendee", "attendee_id": f.attendee}},
)
_simple(OpType.edit_step, lambda f, o: {"step_id": f.steps[o], "base_version": 1, "what": "Visit twice a week"})
_simple(OpType.delete_step, lambda f, o: {"step_id": f.steps[o], "base_version": 1})
_simple(OpType.set_plan_dates, lambda f, o: {"review_conference": "2027-03-01", "core_group": "2026-12-14"})
_simple(
    OpType.record_decision,
    lambda f, o: {"child_id": f.spare_child, "base_version": 0, "outcome": "no_plan", "reasons": "Safe with Gran"},
)
_simple(OpType.clear_decision, lambda f, o: {"child_id": f.child, "base_version": 1})
_simple(
    OpType.set_decision_view,
    lambda f, o: {"child_id": f.child, "base_version": 0, "agreement": "disagree", "words": "We can manage"},
)
_simple(
    OpType.add_decision_note,
    lambda f, o: {
        "child_id": f.child,
        "kind": "recommendation",
        "who": "Police",
        "recommends": "child_protection_plan",
        "categories": ["neglect"],
    },
)
_simple(OpType.remove_decision_note, lambda f, o: {"note_id": f.note})
_simple(
    OpType.add_child_words,
    lambda f, o: {"child_id": f.child, "house": "dreams", "words": "A dog", "shared": False},
)
_simple(
    OpType.edit_child_words,
    lambda f, o: {"voice_id": f.voices[o], "base_version": 1, "house": "good_things", "words": "My bike and Gran"},
)
_simple(OpType.delete_child_words, lambda f, o: {"voice_id": f.voices[o], "base_version": 1})
_simple(OpType.start_closed_part, lambda f, o: {})
_simple(OpType.set_restricted, lambda f, o: {"entity": "card", "item_id": f.cards[o], "restricted": True})
_simple(OpType.set_focus, lambda f, o: {"entity": "statement", "item_id": f.statements["professional"]})


@_builds(OpType.end_closed_part)
def _end_closed_part(f: MeetingFixture, owner: str) -> Case:
    return Case([("chair", {"type": "start_closed_part"})], {"type": "end_closed_part"})


_simple(OpType.finalise, lambda f, o: {})


@_builds(OpType.add_addendum)
def _add_addendum(f: MeetingFixture, owner: str) -> Case:
    addendum = {"type": "add_addendum", "text": "The review is moved to 3 March.", "reason": "The school asked."}
    return Case([("chair", {"type": "finalise"})], addendum)


def case_for(op_type: OpType, f: MeetingFixture, owner: str) -> Case:
    """One case of `op_type` on the fixture meeting, acting on `owner`'s item. KeyError: no builder (add one)."""
    case = BUILDERS[op_type](f, owner)
    assert case.op["type"] == op_type.value, f"the builder for {op_type} builds {case.op['type']}"
    return case


Outcome = Literal["accepted", "forbidden"]


@dataclass(frozen=True)
class Cell:
    role: Role
    op_type: OpType
    owner: str
    """Whose item the operation acts on (a role name)."""
    expected: Outcome

    @property
    def id(self) -> str:
        return f"{self.role.value}-{self.op_type.value}-on-{self.owner}s-{self.expected}"


def someone_else(role: Role) -> str:
    return "chair" if role is Role.professional else "professional"


def cells() -> Iterator[Cell]:
    """Every cell of roles.PERMISSIONS, with the outcome the table promises."""
    for role, row in PERMISSIONS.items():
        for op_type, scope in row.items():
            if scope is Scope.any:
                yield Cell(role, op_type, someone_else(role), "accepted")
            elif scope is Scope.own:
                yield Cell(role, op_type, role.value, "accepted")
                yield Cell(role, op_type, someone_else(role), "forbidden")
            else:
                yield Cell(role, op_type, someone_else(role), "forbidden")


START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


class ConferenceRoom:
    """A meeting plus the server's sequence counter and clock: each accepted operation is logged one minute after
    the one before, so a test can tell when things happened."""

    def __init__(self, state: MeetingState | None = None) -> None:
        self.state = state or MeetingState()
        self.genesis = self.state
        self.now = START
        self.log: list[tuple[int, AnyOperation, Actor, datetime]] = []
        self.applied: list[Applied] = []
        self._ids = itertools.count(1)

    def do(self, actor: Actor, op: AnyOperation | OpDict) -> Applied:
        """Apply like the server: a refused op raises and leaves the meeting, the sequence and the clock as they
        were."""
        model = operation_adapter.validate_python(op) if isinstance(op, dict) else op
        seq = self.state.seq + 1
        applied = apply_operation(self.state, model, actor, new_id=f"srv-{next(self._ids)}", seq=seq, at=self.now)
        self.state = applied.state
        self.log.append((seq, applied.op, actor, self.now))
        self.applied.append(applied)
        self.now += timedelta(minutes=1)
        return applied

    def refuses(self, actor: Actor, op: AnyOperation | OpDict, code: str) -> DomainError:
        """Assert the operation is refused with `code` and changes nothing; the error, for a closer look."""
        before = self.state
        with pytest.raises(DomainError) as refused:
            self.do(actor, op)
        assert refused.value.code == code, refused.value.message
        assert self.state == before
        return refused.value


def fixture_room(f: MeetingFixture | None = None, state: MeetingState | None = None) -> ConferenceRoom:
    """A room holding the fixture meeting, built through the real rules."""
    f = f or MeetingFixture()
    room = ConferenceRoom(state)
    for author, op in setup_steps(f):
        room.do(f.actor(author), op)
    return room
