"""Who is in the room, and what each role may do to cards."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    chair = "chair"
    professional = "professional"
    family = "family"
    projector = "projector"
    observer = "observer"


class Scope(StrEnum):
    """How far a permission reaches: any card, only the actor's own cards, or none."""

    any = "any"
    own = "own"
    none = "none"


class OpType(StrEnum):
    add_card = "add_card"
    edit_card = "edit_card"
    move_card = "move_card"
    delete_card = "delete_card"


_ALL = dict.fromkeys(OpType, Scope.any)
_NOTHING = dict.fromkeys(OpType, Scope.none)

# The one table the server enforces; the frontend only mirrors it (GET /api/meetings/{id}/me returns the row).
PERMISSIONS: dict[Role, dict[OpType, Scope]] = {
    Role.chair: _ALL,
    Role.professional: _ALL,
    # Families add their own words anywhere on the map and may change or withdraw what they wrote,
    # but never rewrite what a professional wrote.
    Role.family: {
        OpType.add_card: Scope.any,
        OpType.edit_card: Scope.own,
        OpType.move_card: Scope.own,
        OpType.delete_card: Scope.own,
    },
    Role.projector: _NOTHING,
    Role.observer: _NOTHING,
}


def scope_for(role: Role, op_type: OpType) -> Scope:
    return PERMISSIONS[role][op_type]


def can_write(role: Role) -> bool:
    return any(scope is not Scope.none for scope in PERMISSIONS[role].values())
