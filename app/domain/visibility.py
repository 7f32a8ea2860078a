"""What a connection may receive, decided on the server for its role.

Everything on the live board is visible to every role today. Closed-session items and unrevealed scaling ratings
will be filtered here, so that they never leave the server towards a family or projector connection.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.board import BoardState, Card
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


def board_for_view(board: BoardState, view: View) -> BoardState:
    columns = {column: tuple(c for c in cards if card_visible(c, view)) for column, cards in board.columns.items()}
    return board.model_copy(update={"columns": columns})
