"""Every operation on a meeting, and the one deterministic function that applies them.

`apply_operation` reads nothing but its arguments (the time and any new id come in with them), so replaying a
meeting's op log from its genesis rebuilds exactly the projection the store keeps. Each concept module holds its
own operations and rules; this module checks what holds for all of them (finalised, the role table, the closed
part, what the family may not see) and dispatches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from app.domain import (
    attendance,
    cards,
    children,
    closed_part,
    decision,
    focus,
    phases,
    plan,
    record,
    scaling,
    statements,
    voice,
)
from app.domain.attendance import (
    AddAttendee,
    CheckIn,
    ConfirmAttendee,
    EditAttendee,
    RemoveAttendee,
    SetAttendance,
)
from app.domain.board import Card, CardChange
from app.domain.cards import AddCard, DeleteCard, EditCard, MoveCard
from app.domain.changes import AnyChange
from app.domain.children import AddChild, EditChild, RemoveChild
from app.domain.closed_part import EndClosedPart, SetRestricted, StartClosedPart
from app.domain.context import Actor, Handler, OpContext
from app.domain.decision import AddDecisionNote, ClearDecision, RecordDecision, RemoveDecisionNote, SetDecisionView
from app.domain.errors import (
    CardNotFound,
    ClosedPartRunning,
    MeetingReadOnly,
    PermissionDenied,
)
from app.domain.focus import FocusChange, SetFocus, settle_focus
from app.domain.items import ItemChange, count_kept_from_family, kept_from_family, require
from app.domain.phases import SetPhase, SetTimer
from app.domain.plan import (
    AddNetworkMember,
    AddStep,
    DeleteStep,
    EditNetworkMember,
    EditStep,
    RemoveNetworkMember,
    SetPlanDates,
)
from app.domain.record import AddAddendum, Finalise
from app.domain.roles import OpType, Role, Scope, scope_for
from app.domain.scaling import AnswerFor, AnswerRound, OpenRound, RevealRound, round_not_open
from app.domain.state import BoardState, MeetingState
from app.domain.statements import AddStatement, DeleteStatement, EditStatement, SetFamilyView, SetSafetyGoal
from app.domain.visibility import view_sees_restricted
from app.domain.voice import AddChildWords, DeleteChildWords, EditChildWords

AnyOperation = (
    AddCard
    | EditCard
    | MoveCard
    | DeleteCard
    | SetPhase
    | SetTimer
    | AddChild
    | EditChild
    | RemoveChild
    | AddAttendee
    | EditAttendee
    | SetAttendance
    | CheckIn
    | ConfirmAttendee
    | RemoveAttendee
    | AddStatement
    | EditStatement
    | DeleteStatement
    | SetFamilyView
    | SetSafetyGoal
    | OpenRound
    | AnswerRound
    | AnswerFor
    | RevealRound
    | AddNetworkMember
    | EditNetworkMember
    | RemoveNetworkMember
    | AddStep
    | EditStep
    | DeleteStep
    | SetPlanDates
    | RecordDecision
    | ClearDecision
    | SetDecisionView
    | AddDecisionNote
    | RemoveDecisionNote
    | AddChildWords
    | EditChildWords
    | DeleteChildWords
    | StartClosedPart
    | EndClosedPart
    | SetRestricted
    | SetFocus
    | Finalise
    | AddAddendum
)
Operation = Annotated[AnyOperation, Field(discriminator="type")]
operation_adapter: TypeAdapter[AnyOperation] = TypeAdapter(Operation)

HANDLERS: dict[type[BaseModel], Handler] = {
    **cards.HANDLERS,
    **phases.HANDLERS,
    **children.HANDLERS,
    **attendance.HANDLERS,
    **statements.HANDLERS,
    **scaling.HANDLERS,
    **plan.HANDLERS,
    **decision.HANDLERS,
    **voice.HANDLERS,
    **closed_part.HANDLERS,
    **focus.HANDLERS,
    **record.HANDLERS,
}

# What each operation does, in the words a refusal uses: "A family member cannot <words>."
ACTION_WORDS: dict[OpType, str] = {
    OpType.add_card: "add cards",
    OpType.edit_card: "edit cards",
    OpType.move_card: "move cards",
    OpType.delete_card: "delete cards",
    OpType.set_phase: "move the meeting to another part of the agenda",
    OpType.set_timer: "time a part of the meeting",
    OpType.add_child: "add a child to the meeting",
    OpType.edit_child: "change a child's details",
    OpType.remove_child: "remove a child from the meeting",
    OpType.add_attendee: "record who is at the meeting",
    OpType.edit_attendee: "change who is at the meeting",
    OpType.set_attendance: "record who arrives or leaves",
    OpType.check_in: "mark themselves as here",
    OpType.confirm_attendee: "confirm who is here",
    OpType.remove_attendee: "take someone off the attendance list",
    OpType.add_statement: "write danger statements",
    OpType.edit_statement: "change danger statements",
    OpType.delete_statement: "delete danger statements",
    OpType.set_family_view: "give the family's view of a danger statement",
    OpType.set_safety_goal: "write safety goals",
    OpType.open_round: "start a scaling round",
    OpType.answer_round: "answer a scaling round",
    OpType.answer_for: "enter someone else's answer to a scaling round",
    OpType.reveal_round: "reveal a scaling round",
    OpType.add_network_member: "add to the safety network",
    OpType.edit_network_member: "change the safety network",
    OpType.remove_network_member: "remove someone from the safety network",
    OpType.add_step: "add steps to the plan",
    OpType.edit_step: "change the plan",
    OpType.delete_step: "delete steps from the plan",
    OpType.set_plan_dates: "set the dates of the next meetings",
    OpType.record_decision: "record the decision",
    OpType.clear_decision: "clear the decision",
    OpType.set_decision_view: "give the family's view of the decision",
    OpType.add_decision_note: "record a recommendation or disagreement",
    OpType.remove_decision_note: "remove a recommendation or disagreement",
    OpType.add_child_words: "add a child's words",
    OpType.edit_child_words: "change a child's words",
    OpType.delete_child_words: "delete a child's words",
    OpType.start_closed_part: "start a closed part of the meeting",
    OpType.end_closed_part: "end a closed part of the meeting",
    OpType.set_restricted: "restrict items or lift a restriction",
    OpType.set_focus: "point everyone at an item",
    OpType.finalise: "finalise the record",
    OpType.add_addendum: "add an addendum to the record",
}

ROLE_WORDS = {
    Role.chair: "chair",
    Role.professional: "professional",
    Role.family: "family member",
    Role.projector: "projector (room screen)",
    Role.observer: "observer",
}

# The item an operation acts on, so that a screen never acts on (or learns of, through a refusal) an item it
# may not see: (the entity, the op's field naming it, what a refusal calls it).
_TARGET_OF: dict[type[BaseModel], tuple[str, str, str]] = {
    EditCard: ("card", "card_id", "card"),
    MoveCard: ("card", "card_id", "card"),
    DeleteCard: ("card", "card_id", "card"),
    SetFamilyView: ("statement", "statement_id", "danger statement"),
    EditStatement: ("statement", "statement_id", "danger statement"),
    DeleteStatement: ("statement", "statement_id", "danger statement"),
    SetSafetyGoal: ("statement", "statement_id", "danger statement"),
    AnswerRound: ("round", "round_id", "scaling round"),
    SetDecisionView: ("decision", "child_id", "decision"),
    EditNetworkMember: ("network_member", "member_id", "safety network member"),
    RemoveNetworkMember: ("network_member", "member_id", "safety network member"),
    EditStep: ("step", "step_id", "next step"),
    DeleteStep: ("step", "step_id", "next step"),
    EditChildWords: ("voice", "voice_id", "child's words"),
    DeleteChildWords: ("voice", "voice_id", "child's words"),
}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Applied:
    """What an accepted operation did: the meeting after it, the operation as it is logged (an add always names
    its new id), the items it changed, and the id of the item it was about."""

    state: MeetingState
    op: AnyOperation
    changes: tuple[AnyChange, ...]
    target_id: str

    @property
    def card(self) -> Card | None:
        """The card after a card operation (None once deleted, or for other operations)."""
        return next((c.value for c in self.changes if isinstance(c, CardChange)), None)

    @property
    def card_id(self) -> str:
        return self.target_id


def apply_operation(
    state: MeetingState,
    op: AnyOperation,
    actor: Actor,
    *,
    new_id: str = "",
    seq: int,
    at: datetime = EPOCH,
    as_logged: bool = False,
) -> Applied:
    """Check `op` against the rules and return the meeting after it. Raises a DomainError when refused.

    `new_id` is the id a new item gets when the op names none; `seq` and `at` are the sequence number and the
    time the op will be logged under; `as_logged`: the op is one the log holds (`Applied.op`), being replayed.
    """
    op_type = OpType(op.type)
    if state.read_only and op_type is not OpType.add_addendum:
        raise MeetingReadOnly(
            "This meeting has been finalised: the record can be read but no longer changed. "
            "The chair can add an addendum."
        )
    scope = scope_for(actor.role, op_type)
    if scope is Scope.none:
        raise PermissionDenied(f"A {ROLE_WORDS[actor.role]} cannot {ACTION_WORDS[op_type]}.")
    if not view_sees_restricted(actor.role):
        if state.closed_part.active:
            raise ClosedPartRunning("This part of the meeting is private. You will be asked back.")
        _check_target_visible(state, op)
    outcome = HANDLERS[type(op)](state, op, OpContext(actor, seq, at, new_id, scope, as_logged))
    after = outcome.state if outcome.state.seq == seq else outcome.state.model_copy(update={"seq": seq})
    changes = outcome.changes
    if state.closed_part.active and op_type not in _NOT_WORDS:
        after, changes = _kept_from_family_as_said_in_private(after, changes)
    after, focus_change = settle_focus(after)
    if focus_change is not None:
        changes = (*changes, focus_change)
    logged: Any = outcome.logged or op
    created = outcome.target_id if outcome.created else None
    return Applied(after, logged, _placed(state, after, changes, created), outcome.target_id)


_NOT_WORDS = {OpType.set_restricted, OpType.move_card, OpType.reveal_round}
"""Operations that say nothing new: run during a closed part, they leave what they touch as visible as it was."""


def _kept_from_family_as_said_in_private(
    state: MeetingState, changes: tuple[AnyChange, ...]
) -> tuple[MeetingState, tuple[AnyChange, ...]]:
    """What is said in a closed part must never reach the family's screens: every item an operation adds or
    rewords while one runs is restricted (the chair can lift it afterwards), not only the items it adds."""
    kept: list[AnyChange] = []
    for change in changes:
        value = change.value
        if isinstance(change, ItemChange) and getattr(value, "restricted", True) is False:
            value = value.model_copy(update={"restricted": True})  # type: ignore[union-attr]
            state = state.replacing(change.entity, value)
            change = change.model_copy(update={"value": value})
        kept.append(change)
    return state, tuple(kept)


def _placed(
    before: MeetingState, after: MeetingState, changes: tuple[AnyChange, ...], created: str | None
) -> tuple[AnyChange, ...]:
    """Each change completed with what visibility.py needs to filter it later from the change alone: where the
    item now stands in its list (for everyone, and among what the family may see), and whether the family could
    see the item before (a removal is sent only to screens that had it). `created`: the id of an item the op
    added, which was nowhere before."""
    placed: list[AnyChange] = []
    for change in changes:
        update: dict[str, Any] = {}
        if isinstance(change, ItemChange):
            earlier = None if change.id == created else before.item(change.entity, change.id)
            update["was_public"] = earlier is not None and not kept_from_family(earlier)
            if change.value is not None:
                listing = after.listing(change.entity, change.value)
                if listing and listing[-1] is change.value:  # added at the end, as most items are
                    index = len(listing) - 1
                else:
                    index = next(i for i, item in enumerate(listing) if item.id == change.id)
                update["position"] = index
                if not kept_from_family(change.value):
                    update["public_position"] = index - count_kept_from_family(listing[:index])
        elif isinstance(change, FocusChange):
            update["was_public"] = before.focus is not None and not before.focus.restricted
        placed.append(change.model_copy(update=update) if update else change)
    return tuple(placed)


def _check_target_visible(state: MeetingState, op: BaseModel) -> None:
    target = _TARGET_OF.get(type(op))
    if target is None:
        return
    entity, field, what = target
    item_id = getattr(op, field)
    # Refused exactly as if the item were not there: the refusal must not tell the family that it exists.
    if entity == "card":
        found = state.find(item_id)
        if found is not None and found[2].kept_from_family():
            raise CardNotFound("That card is no longer on the board.")
        return
    item = state.item(entity, item_id)
    if item is not None and item.kept_from_family():
        if entity == "round":
            raise round_not_open()
        require((), item_id, what)


def replay(
    entries: Iterable[tuple[int, AnyOperation, Actor, datetime]], start: MeetingState | None = None
) -> MeetingState:
    """Rebuild a meeting from its genesis (`start`) and its op log (seq, logged op, actor, time), in order."""
    state = start or MeetingState()
    for seq, op, actor, at in entries:
        state = apply_operation(state, op, actor, seq=seq, at=at, as_logged=True).state
    return state


__all__ = [
    "Actor",
    "AddCard",
    "AnyOperation",
    "Applied",
    "BoardState",
    "DeleteCard",
    "EditCard",
    "MeetingState",
    "MoveCard",
    "Operation",
    "apply_operation",
    "operation_adapter",
    "replay",
]
