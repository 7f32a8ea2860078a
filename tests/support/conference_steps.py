"""Random steps of a whole conference for the property tests: every operation type, from every role.

Like operation_steps.py, a step is drawn before the meeting it acts on exists, so it names what it acts on by
numbers; `resolve` turns it into a real operation against the meeting as it is at that moment. Many steps are
meant to be refused: stale versions, items that are not (or no longer) there, children not in the meeting,
forbidden roles, family operations during a closed part, answers to rounds already revealed, second reveals,
duplicate ids, decisions whose category does not fit. Every operation `resolve` builds is valid as a message
(pydantic accepts it): what is refused is refused by the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from hypothesis import strategies as st

from app.domain.board import KINDS_BY_COLUMN, CardKind, Column
from app.domain.closed_part import RestrictableEntity
from app.domain.focus import FocusEntity
from app.domain.operations import AnyOperation, operation_adapter
from app.domain.roles import OpType, Role, Scope, scope_for
from app.domain.state import MeetingState

ActorT = TypeVar("ActorT")

MISSING = 15
"""A pick of this value names an item that is not there."""
RESEND = "resend"
"""Not an operation: the test sends an earlier accepted op again, under its first op id."""

TEXTS = ["Bruise seen", "  Gran helps  ", "Dad drinks", "x" * 1000, "Unclear", "ok", "CANARY-TEXT"]
NAMES = ["Gran", "  Pat  ", "Mr Brown", "A.", "N" * 80]

# Adds and the chair's running of the meeting come up more often, so that most meetings have something to
# act on; every type is in the list.
WEIGHTS: dict[OpType, int] = {op_type: 1 for op_type in OpType} | {
    OpType.add_card: 3,
    OpType.add_child: 3,
    OpType.add_attendee: 2,
    OpType.add_statement: 3,
    OpType.open_round: 3,
    OpType.answer_round: 3,
    OpType.add_network_member: 2,
    OpType.add_step: 2,
    OpType.record_decision: 2,
    OpType.add_child_words: 2,
    OpType.start_closed_part: 2,
    OpType.end_closed_part: 2,
    OpType.set_restricted: 2,
    OpType.set_focus: 2,
}
OP_TYPES: list[str] = [op_type.value for op_type, weight in WEIGHTS.items() for _ in range(weight)]


@dataclass(frozen=True)
class ConferenceStep(Generic[ActorT]):
    actor: ActorT
    op_type: str
    """An OpType value, or RESEND."""
    pick: int
    """The item acted on: the pick-th of its kind (wrapping); MISSING names one that is not there."""
    other: int
    """A second item (the child, the attendee, the statement...), picked the same way."""
    version_delta: int
    """0 is the version the user saw; anything else is stale."""
    text: int
    number: int
    """0 to 10: values, minutes, ages, positions."""
    choice: int
    """Picks among the values of an enumeration."""
    flag: bool
    client_id: int | None
    """None: the server assigns the id; -1: reuse an id already in the meeting; n: 'c{n}'."""


def conference_steps(
    actors: Sequence[ActorT], role_of: Callable[[ActorT], Role], *, resend: bool = False
) -> st.SearchStrategy[ConferenceStep[ActorT]]:
    """Steps by people drawn from `actors` (`role_of` tells their role): mostly someone the role table allows to
    do the step's operation, now and then anyone. With `resend`, some steps are RESEND, which `resolve` does not
    handle: the test decides what resending means."""

    def step_of(op_type: str) -> st.SearchStrategy[ConferenceStep[ActorT]]:
        allowed = [a for a in actors if op_type != RESEND and scope_for(role_of(a), OpType(op_type)) is not Scope.none]
        who = st.sampled_from(actors)
        if allowed:
            who = st.sampled_from([True, True, True, False]).flatmap(
                lambda keep: st.sampled_from(allowed) if keep else st.sampled_from(actors)
            )
        return st.builds(
            ConferenceStep,
            actor=who,
            op_type=st.just(op_type),
            pick=st.integers(0, MISSING),
            other=st.integers(0, MISSING),
            version_delta=st.sampled_from([0, 0, 0, 0, 0, -1, 1]),
            text=st.integers(0, len(TEXTS) - 1),
            number=st.integers(0, 10),
            choice=st.integers(0, 11),
            flag=st.booleans(),
            client_id=st.sampled_from([None, None, None, None, None, -1, 0, 1, 2, 3]),
        )

    return st.sampled_from([*OP_TYPES, RESEND, RESEND] if resend else OP_TYPES).flatmap(step_of)


def _pick(items: Sequence[Any], pick: int) -> Any | None:
    return items[pick % len(items)] if items and pick != MISSING else None


def _id(items: Sequence[Any], pick: int) -> str:
    item = _pick(items, pick)
    return str(item.id) if item is not None else "missing"


def _version(items: Sequence[Any], step: ConferenceStep[Any]) -> int:
    item = _pick(items, step.pick)
    return max(1, (item.version if item is not None else 1) + step.version_delta)


def _of(values: Sequence[Any], choice: int) -> Any:
    return values[choice % len(values)]


class _Resolver:
    """Builds one operation of the step's type from the meeting as it is now."""

    def __init__(self, step: ConferenceStep[Any], state: MeetingState) -> None:
        self.step = step
        self.state = state

    # Shared pieces.
    @property
    def text(self) -> str:
        return TEXTS[self.step.text]

    @property
    def name(self) -> str:
        return NAMES[self.step.text % len(NAMES)]

    def new_id(self, items: Sequence[Any]) -> str | None:
        client_id = self.step.client_id
        if client_id is None:
            return None
        if client_id == -1:
            item = _pick(items, self.step.other)
            return str(item.id) if item is not None else None
        return f"c{client_id}"

    def child_ids(self) -> list[str]:
        """Usually none, sometimes one of the children, now and then one who is not in the meeting."""
        if self.step.choice % 3:
            return []
        return [_id(self.state.children, self.step.other)]

    def base(self, version: int) -> int:
        """A base version for a part with version 0 until first given (a family view, a goal, a decision)."""
        return max(0, version + self.step.version_delta)

    # One method per operation type.
    def add_card(self) -> dict[str, Any]:
        column = _of(list(Column), self.step.choice)
        kinds = list(KINDS_BY_COLUMN[column]) if self.step.flag else list(CardKind)  # some kinds do not fit
        return {
            "card_id": self.new_id(self.state.cards()),
            "column": column,
            "kind": _of(kinds, self.step.number),
            "text": self.text,
            "position": None if self.step.flag else self.step.number,
            "child_ids": self.child_ids(),
        }

    def edit_card(self) -> dict[str, Any]:
        cards = self.state.cards()
        op: dict[str, Any] = {"card_id": _id(cards, self.step.pick), "base_version": _version(cards, self.step)}
        if self.step.choice % 4 != 1:
            op["text"] = self.text
        if self.step.choice % 4 in (1, 2):
            op["kind"] = _of(list(CardKind), self.step.number)
        if self.step.choice % 4 == 3 and self.step.flag:
            op["child_ids"] = self.child_ids()
        return op

    def move_card(self) -> dict[str, Any]:
        return {
            "card_id": _id(self.state.cards(), self.step.pick),
            "column": _of(list(Column), self.step.choice),
            "position": self.step.number,
            "kind": _of(list(CardKind), self.step.number) if self.step.flag else None,
        }

    def delete_card(self) -> dict[str, Any]:
        cards = self.state.cards()
        return {"card_id": _id(cards, self.step.pick), "base_version": _version(cards, self.step)}

    def set_phase(self) -> dict[str, Any]:
        phases = [phase.id for phase in self.state.agenda]
        phase = "not_on_this_agenda" if self.step.pick == MISSING else _of(phases, self.step.pick)
        seen = [self.state.phase.current, self.state.phase.current, self.state.phase.previous, None, phases[-1]]
        return {
            "phase": phase,
            "from_phase": _of(seen, self.step.choice),
            "timer_minutes": self.step.number * 5 or None,
        }

    def set_timer(self) -> dict[str, Any]:
        return {"minutes": self.step.number * 3 or None}

    def add_child(self) -> dict[str, Any]:
        return {
            "child_id": self.new_id(self.state.children),
            "name": self.name[:40],
            "age": None if self.step.flag else self.step.number,
        }

    def edit_child(self) -> dict[str, Any]:
        children = self.state.children
        return {
            "child_id": _id(children, self.step.pick),
            "base_version": _version(children, self.step),
            "name": self.name[:40],
            "age": self.step.number,
        }

    def remove_child(self) -> dict[str, Any]:
        return {"child_id": _id(self.state.children, self.step.pick)}

    def add_attendee(self) -> dict[str, Any]:
        return {
            "attendee_id": self.new_id(self.state.attendees),
            "name": self.name,
            "agency": "School" if self.step.flag else "",
            "group": _of(["family", "professional", "other"], self.step.choice),
            "status": _of(["present", "present", "apologies", "absent"], self.step.number),
            "report_sent": self.step.flag,
        }

    def edit_attendee(self) -> dict[str, Any]:
        attendees = self.state.attendees
        return {
            "attendee_id": _id(attendees, self.step.pick),
            "base_version": _version(attendees, self.step),
            "name": self.name,
            "group": _of(["family", "professional", "other"], self.step.choice),
            "report_sent": self.step.flag,
        }

    def set_attendance(self) -> dict[str, Any]:
        statuses = ["present", "apologies", "absent", "left", "stepped_out"]
        return {"attendee_id": _id(self.state.attendees, self.step.pick), "status": _of(statuses, self.step.choice)}

    def check_in(self) -> dict[str, Any]:
        return {"name": None if self.step.choice % 4 == 0 else self.name}

    def confirm_attendee(self) -> dict[str, Any]:
        return {"attendee_id": _id(self.state.attendees, self.step.pick)}

    def remove_attendee(self) -> dict[str, Any]:
        return {"attendee_id": _id(self.state.attendees, self.step.pick)}

    def _statement_words(self) -> dict[str, Any]:
        return {
            "who_is_worried": "School" if self.step.flag else "",
            "behaviour": self.text,
            "impact": self.text if self.step.number % 2 else "",
            "child_ids": self.child_ids(),
        }

    def add_statement(self) -> dict[str, Any]:
        return {"statement_id": self.new_id(self.state.statements), **self._statement_words()}

    def edit_statement(self) -> dict[str, Any]:
        statements = self.state.statements
        return {
            "statement_id": _id(statements, self.step.pick),
            "base_version": _version(statements, self.step),
            **self._statement_words(),
        }

    def delete_statement(self) -> dict[str, Any]:
        statements = self.state.statements
        return {"statement_id": _id(statements, self.step.pick), "base_version": _version(statements, self.step)}

    def set_family_view(self) -> dict[str, Any]:
        statement = _pick(self.state.statements, self.step.pick)
        view = statement.family_view if statement is not None else None
        return {
            "statement_id": statement.id if statement is not None else "missing",
            "base_version": self.base(view.version if view else 0),
            "agreement": _of(["agree", "partly", "disagree", "not_sure"], self.step.choice),
            "words": self.text if self.step.flag else "",
        }

    def set_safety_goal(self) -> dict[str, Any]:
        statement = _pick(self.state.statements, self.step.pick)
        goal = statement.goal if statement is not None else None
        return {
            "statement_id": statement.id if statement is not None else "missing",
            "base_version": self.base(goal.version if goal else 0),
            "adults_will": self.text if self.step.choice % 3 else "",  # all parts empty: refused
            "how_long": "Six months" if self.step.flag else "",
        }

    def open_round(self) -> dict[str, Any]:
        return {
            "round_id": self.new_id(self.state.rounds),
            "statement_id": _id(self.state.statements, self.step.other) if self.step.flag else None,
            "label": _of(["start", "end", "other"], self.step.choice),
            "question": self.text if self.step.number % 2 else "",
        }

    def answer_round(self) -> dict[str, Any]:
        return {"round_id": _id(self.state.rounds, self.step.pick), "value": self.step.number, "reason": self.text}

    def answer_for(self) -> dict[str, Any]:
        return {
            "round_id": _id(self.state.rounds, self.step.pick),
            "attendee_id": _id(self.state.attendees, self.step.other),
            "value": self.step.number,
            "reason": self.text,
        }

    def reveal_round(self) -> dict[str, Any]:
        return {"round_id": _id(self.state.rounds, self.step.pick)}

    def add_network_member(self) -> dict[str, Any]:
        return {
            "member_id": self.new_id(self.state.network),
            "name": self.name,
            "relationship": "Gran" if self.step.flag else "",
            "agreed_to": self.text,
        }

    def edit_network_member(self) -> dict[str, Any]:
        network = self.state.network
        return {
            "member_id": _id(network, self.step.pick),
            "base_version": _version(network, self.step),
            "name": self.name,
            "agreed_to": self.text,
        }

    def remove_network_member(self) -> dict[str, Any]:
        network = self.state.network
        return {"member_id": _id(network, self.step.pick), "base_version": _version(network, self.step)}

    def _step_words(self) -> dict[str, Any]:
        who: dict[str, Any] | None = _of(
            [
                None,
                {"kind": "attendee", "attendee_id": _id(self.state.attendees, self.step.other)},
                {"kind": "network", "member_id": _id(self.state.network, self.step.other)},
                {"kind": "person", "name": self.name},
            ],
            self.step.choice,
        )
        return {
            "what": self.text,
            "who": who,
            "by_when": "2027-01-15" if self.step.flag else "",
            "child_ids": self.child_ids(),
        }

    def add_step(self) -> dict[str, Any]:
        return {"step_id": self.new_id(self.state.steps), **self._step_words()}

    def edit_step(self) -> dict[str, Any]:
        steps = self.state.steps
        return {"step_id": _id(steps, self.step.pick), "base_version": _version(steps, self.step), **self._step_words()}

    def delete_step(self) -> dict[str, Any]:
        steps = self.state.steps
        return {"step_id": _id(steps, self.step.pick), "base_version": _version(steps, self.step)}

    def set_plan_dates(self) -> dict[str, Any]:
        day = date(2027, 1, 1) + timedelta(days=7 * self.step.number)
        return {
            "review_conference": day.isoformat() if self.step.flag else None,
            "core_group": day.isoformat() if self.step.choice % 2 else None,
        }

    def _decision(self) -> tuple[str, Any]:
        child_id = _id(self.state.children, self.step.pick)
        return child_id, next((d for d in self.state.decisions if d.child_id == child_id), None)

    def record_decision(self) -> dict[str, Any]:
        child_id, decision = self._decision()
        recorded = decision is not None and decision.outcome is not None
        categories = ["neglect", "physical_abuse", "emotional_abuse", "sexual_abuse"]
        outcome = _of(["child_protection_plan", "no_plan"], self.step.choice)
        # A plan with one or two categories; now and then a plan without one, or a category without a plan.
        chosen = [] if self.step.number == 0 else categories[: 1 + self.step.number % 2]
        if outcome == "no_plan" and self.step.number != 1:
            chosen = []
        return {
            "child_id": child_id,
            "base_version": self.base(decision.version if recorded else 0),
            "outcome": outcome,
            "categories": chosen,
            "reasons": self.text,
        }

    def clear_decision(self) -> dict[str, Any]:
        child_id, decision = self._decision()
        return {"child_id": child_id, "base_version": max(1, self.base(decision.version if decision else 1))}

    def set_decision_view(self) -> dict[str, Any]:
        child_id, decision = self._decision()
        view = decision.family_view if decision is not None else None
        return {
            "child_id": child_id,
            "base_version": self.base(view.version if view else 0),
            "agreement": _of(["agree", "partly", "disagree", "not_sure"], self.step.choice),
            "words": self.text if self.step.flag else "",
        }

    def add_decision_note(self) -> dict[str, Any]:
        recommendation = self.step.flag
        return {
            "note_id": self.new_id(self.state.decision_notes),
            "child_id": _id(self.state.children, self.step.other),
            "kind": "recommendation" if recommendation else "dissent",
            "who": self.name,
            "recommends": _of([None, "child_protection_plan", "no_plan"], self.step.choice) if recommendation else None,
            "categories": ["neglect"] if self.step.number % 2 else [],
            "reason": self.text,
        }

    def remove_decision_note(self) -> dict[str, Any]:
        return {"note_id": _id(self.state.decision_notes, self.step.pick)}

    def _words(self) -> dict[str, Any]:
        return {
            "house": _of(["worries", "good_things", "dreams"], self.step.choice),
            "words": self.text,
            "shared": self.step.flag,
        }

    def add_child_words(self) -> dict[str, Any]:
        return {
            "voice_id": self.new_id(self.state.voices),
            "child_id": _id(self.state.children, self.step.other),
            **self._words(),
        }

    def edit_child_words(self) -> dict[str, Any]:
        voices = self.state.voices
        return {"voice_id": _id(voices, self.step.pick), "base_version": _version(voices, self.step), **self._words()}

    def delete_child_words(self) -> dict[str, Any]:
        voices = self.state.voices
        return {"voice_id": _id(voices, self.step.pick), "base_version": _version(voices, self.step)}

    def start_closed_part(self) -> dict[str, Any]:
        return {}

    def finalise(self) -> dict[str, Any]:
        return {}

    def add_addendum(self) -> dict[str, Any]:
        return {
            "addendum_id": self.new_id(self.state.addenda),
            "text": "The review moves to March." if self.step.flag else "A later fact.",
            "reason": "The school asked.",
            "restricted": self.step.number % 2 == 0,
        }

    def end_closed_part(self) -> dict[str, Any]:
        return {}

    def _items_of(self, entity: str) -> Sequence[Any]:
        if entity == "card":
            return self.state.cards()
        field = {
            "statement": "statements",
            "round": "rounds",
            "network_member": "network",
            "step": "steps",
            "decision": "decisions",
            "decision_note": "decision_notes",
            "voice": "voices",
            "child": "children",
            "attendee": "attendees",
        }[entity]
        items: Sequence[Any] = getattr(self.state, field)
        return items

    def set_restricted(self) -> dict[str, Any]:
        entities: list[RestrictableEntity] = [
            "card",
            "statement",
            "round",
            "network_member",
            "step",
            "decision",
            "decision_note",
            "voice",
        ]
        entity = _of(entities, self.step.choice)
        return {
            "entity": entity,
            "item_id": _id(self._items_of(entity), self.step.pick),
            "restricted": self.step.flag or self.step.number % 3 == 0,
        }

    def set_focus(self) -> dict[str, Any]:
        if self.step.number == 0:
            return {}
        entities: list[FocusEntity] = [
            "card",
            "statement",
            "round",
            "step",
            "network_member",
            "decision",
            "voice",
            "child",
            "attendee",
        ]
        entity = _of(entities, self.step.choice)
        return {"entity": entity, "item_id": _id(self._items_of(entity), self.step.pick)}


RESOLVERS: dict[OpType, Callable[[_Resolver], dict[str, Any]]] = {
    op_type: getattr(_Resolver, op_type.value) for op_type in OpType
}


def resolve(step: ConferenceStep[Any], state: MeetingState) -> AnyOperation:
    """The operation `step` stands for on `state`, the meeting as the sender sees it."""
    if step.op_type == RESEND:
        raise ValueError("a resend is not an operation: the test decides what it means")
    op_type = OpType(step.op_type)
    body = RESOLVERS[op_type](_Resolver(step, state))
    return operation_adapter.validate_python({"type": op_type.value, **body})
