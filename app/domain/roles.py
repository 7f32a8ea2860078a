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


SEES_KEPT_FROM_FAMILY = frozenset({Role.chair, Role.professional, Role.observer})
"""The roles that see the items kept from the family (app/domain/visibility.py); the family and the room screen
do not."""

ON_SHARED_SCREENS = frozenset({Role.family, Role.projector})
"""The roles whose screens are shared (the family's tablet, the room's wall, DESIGN.md's roles): such a screen keeps
nothing of a meeting once it leaves or the meeting is finalised, and what its browser keeps (an address in its
history) opens nothing again."""


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


# ---- over HTTP -------------------------------------------------------------------------------------------------


class HttpAction(StrEnum):
    """What a signed-in participant does over HTTP: each route that needs a meeting's session names one (through
    app.api.access.Allowed), and HTTP_POLICY says which roles may. Routes that need no session (starting a
    meeting, joining, the lobby, the glossary, health, leaving) name none."""

    read_me = "read_me"
    read_board = "read_board"
    list_people = "list_people"
    invite_person = "invite_person"
    reissue_invite = "reissue_invite"
    revoke_invite = "revoke_invite"
    make_room_code = "make_room_code"
    read_room_code = "read_room_code"
    withdraw_room_code = "withdraw_room_code"
    read_lobby = "read_lobby"
    admit_device = "admit_device"
    turn_device_away = "turn_device_away"
    verify_record = "verify_record"
    check_before_finalising = "check_before_finalising"
    export_record_json = "export_record_json"
    export_record_markdown = "export_record_markdown"
    export_record_pdf = "export_record_pdf"
    read_audit = "read_audit"
    export_audit_csv = "export_audit_csv"
    read_retention = "read_retention"
    place_hold = "place_hold"
    lift_hold = "lift_hold"


_CHAIR = frozenset({Role.chair})
_CHAIR_AND_PROFESSIONALS = frozenset({Role.chair, Role.professional})
_EVERYONE = frozenset(Role)

# Everyone reads the meeting as the server filters it for them (closed parts and unrevealed answers never reach
# those who may not see them). Running the meeting (people, links, the lobby, retention) is the chair's. The room
# code is shown by the chair, the professionals and the room screen: the family and observers have no one to show
# it to. The full record and its trail are for the chair and the professionals; the family gets its own copy as a
# PDF (app.api.record picks which copy); the room screen and observers take nothing away.
HTTP_POLICY: dict[HttpAction, frozenset[Role]] = {
    HttpAction.read_me: _EVERYONE,
    HttpAction.read_board: _EVERYONE,
    HttpAction.list_people: _CHAIR,
    HttpAction.invite_person: _CHAIR,
    HttpAction.reissue_invite: _CHAIR,
    HttpAction.revoke_invite: _CHAIR,
    HttpAction.make_room_code: _CHAIR,
    HttpAction.read_room_code: frozenset({Role.chair, Role.professional, Role.projector}),
    HttpAction.withdraw_room_code: _CHAIR,
    HttpAction.read_lobby: _CHAIR,
    HttpAction.admit_device: _CHAIR,
    HttpAction.turn_device_away: _CHAIR,
    HttpAction.verify_record: _CHAIR_AND_PROFESSIONALS,
    HttpAction.check_before_finalising: _CHAIR,
    HttpAction.export_record_json: _CHAIR_AND_PROFESSIONALS,
    HttpAction.export_record_markdown: _CHAIR_AND_PROFESSIONALS,
    HttpAction.export_record_pdf: frozenset({Role.chair, Role.professional, Role.family}),
    HttpAction.read_audit: _CHAIR,
    HttpAction.export_audit_csv: _CHAIR_AND_PROFESSIONALS,
    HttpAction.read_retention: _CHAIR,
    HttpAction.place_hold: _CHAIR,
    HttpAction.lift_hold: _CHAIR,
}

_WHO: dict[Role, str] = {
    Role.chair: "the chair",
    Role.professional: "the professionals",
    Role.family: "the family",
    Role.projector: "the room screen",
    Role.observer: "observers",
}


def http_allowed(role: Role, action: HttpAction) -> bool:
    return role in HTTP_POLICY[action]


def http_refusal(action: HttpAction) -> str:
    """What a refused caller is told: who may do this instead."""
    who = [_WHO[role] for role in Role if role in HTTP_POLICY[action]]
    listed = who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]
    return f"Only {listed} can do this."
