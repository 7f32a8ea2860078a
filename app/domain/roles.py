"""Who is in the room, and the one table of what each role may do. The server enforces it in apply_operation;
the frontend only mirrors it (GET /api/meetings/{id}/me returns the caller's row)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    chair = "chair"
    professional = "professional"
    family = "family"
    projector = "projector"
    observer = "observer"


class Scope(StrEnum):
    """How far a permission reaches: anything, only what the actor wrote, or nothing."""

    any = "any"
    own = "own"
    none = "none"


class OpType(StrEnum):
    add_card = "add_card"
    edit_card = "edit_card"
    move_card = "move_card"
    delete_card = "delete_card"
    set_phase = "set_phase"
    set_timer = "set_timer"
    add_child = "add_child"
    edit_child = "edit_child"
    remove_child = "remove_child"
    add_attendee = "add_attendee"
    edit_attendee = "edit_attendee"
    set_attendance = "set_attendance"
    check_in = "check_in"
    confirm_attendee = "confirm_attendee"
    remove_attendee = "remove_attendee"
    add_statement = "add_statement"
    edit_statement = "edit_statement"
    delete_statement = "delete_statement"
    set_family_view = "set_family_view"
    set_safety_goal = "set_safety_goal"
    open_round = "open_round"
    answer_round = "answer_round"
    answer_for = "answer_for"
    reveal_round = "reveal_round"
    add_network_member = "add_network_member"
    edit_network_member = "edit_network_member"
    remove_network_member = "remove_network_member"
    add_step = "add_step"
    edit_step = "edit_step"
    delete_step = "delete_step"
    set_plan_dates = "set_plan_dates"
    record_decision = "record_decision"
    clear_decision = "clear_decision"
    set_decision_view = "set_decision_view"
    add_decision_note = "add_decision_note"
    remove_decision_note = "remove_decision_note"
    add_child_words = "add_child_words"
    edit_child_words = "edit_child_words"
    delete_child_words = "delete_child_words"
    start_closed_part = "start_closed_part"
    end_closed_part = "end_closed_part"
    set_restricted = "set_restricted"
    set_focus = "set_focus"
    finalise = "finalise"
    add_addendum = "add_addendum"


A, OWN, N = Scope.any, Scope.own, Scope.none
CHAIR_ONLY = (A, N, N, N, N)
PROFESSIONALS = (A, A, N, N, N)
EVERYONE_WHO_TAKES_PART = (A, A, A, N, N)
"""Chair, professionals and family: the room screen and observers only watch."""

# One row per operation; columns in the order of Role: chair, professional, family, projector, observer.
# Families add their own words anywhere on the map and may change or withdraw what they wrote, but never rewrite
# what a professional wrote; they answer scaling rounds and give their view of a statement and of the decision.
# Running the meeting (phases, attendance, rounds, the decision, closed parts, restrictions, focus) is the chair's,
# and so are finalising it and any addendum after.
_TABLE: dict[OpType, tuple[Scope, Scope, Scope, Scope, Scope]] = {
    OpType.add_card: EVERYONE_WHO_TAKES_PART,
    OpType.edit_card: (A, A, OWN, N, N),
    OpType.move_card: (A, A, OWN, N, N),
    OpType.delete_card: (A, A, OWN, N, N),
    OpType.set_phase: CHAIR_ONLY,
    OpType.set_timer: CHAIR_ONLY,
    OpType.add_child: CHAIR_ONLY,
    OpType.edit_child: CHAIR_ONLY,
    OpType.remove_child: CHAIR_ONLY,
    OpType.add_attendee: CHAIR_ONLY,
    OpType.edit_attendee: CHAIR_ONLY,
    OpType.set_attendance: CHAIR_ONLY,
    OpType.check_in: EVERYONE_WHO_TAKES_PART,
    OpType.confirm_attendee: CHAIR_ONLY,
    OpType.remove_attendee: CHAIR_ONLY,
    OpType.add_statement: PROFESSIONALS,
    OpType.edit_statement: PROFESSIONALS,
    OpType.delete_statement: PROFESSIONALS,
    OpType.set_family_view: EVERYONE_WHO_TAKES_PART,
    OpType.set_safety_goal: PROFESSIONALS,
    OpType.open_round: CHAIR_ONLY,
    OpType.answer_round: EVERYONE_WHO_TAKES_PART,
    OpType.answer_for: CHAIR_ONLY,
    OpType.reveal_round: CHAIR_ONLY,
    OpType.add_network_member: PROFESSIONALS,
    OpType.edit_network_member: PROFESSIONALS,
    OpType.remove_network_member: PROFESSIONALS,
    OpType.add_step: PROFESSIONALS,
    OpType.edit_step: PROFESSIONALS,
    OpType.delete_step: PROFESSIONALS,
    OpType.set_plan_dates: CHAIR_ONLY,
    OpType.record_decision: CHAIR_ONLY,
    OpType.clear_decision: CHAIR_ONLY,
    OpType.set_decision_view: EVERYONE_WHO_TAKES_PART,
    OpType.add_decision_note: CHAIR_ONLY,
    OpType.remove_decision_note: CHAIR_ONLY,
    OpType.add_child_words: PROFESSIONALS,
    OpType.edit_child_words: PROFESSIONALS,
    OpType.delete_child_words: PROFESSIONALS,
    OpType.start_closed_part: CHAIR_ONLY,
    OpType.end_closed_part: CHAIR_ONLY,
    OpType.set_restricted: CHAIR_ONLY,
    OpType.set_focus: CHAIR_ONLY,
    OpType.finalise: CHAIR_ONLY,
    OpType.add_addendum: CHAIR_ONLY,
}

PERMISSIONS: dict[Role, dict[OpType, Scope]] = {
    role: {op_type: _TABLE[op_type][index] for op_type in OpType} for index, role in enumerate(Role)
}


def scope_for(role: Role, op_type: OpType) -> Scope:
    return PERMISSIONS[role][op_type]


def can_write(role: Role) -> bool:
    return any(scope is not Scope.none for scope in PERMISSIONS[role].values())
