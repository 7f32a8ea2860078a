"""What a connection may receive, decided on the server for its role.

Everything on the live board is visible to every role today. Closed-session items and unrevealed scaling ratings
will be filtered here, so that they never leave the server towards a family or projector connection.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.board import Card
from app.domain.roles import Role


class View(StrEnum):
    """Roles that see the same thing share one view, so an event is encoded once per view, not per socket."""

    full = "full"
    family = "family"
    room_screen = "room_screen"


VIEW_OF_ROLE: dict[Role, View] = {
    Role.chair: View.full,
    Role.professional: View.full,
    Role.observer: View.full,
    Role.family: View.family,
    Role.projector: View.room_screen,
}


def card_visible(card: Card, view: View) -> bool:
    return True
