"""The conference: a meeting's kind and agenda, the card fields it adds (children, restriction, last editor), and
the rest of the meeting's projection (phases, attendance, statements, scaling, plan, decision...) as one JSON
document per meeting, written in the same transaction as each op that changes it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as meetings:
        meetings.add_column(
            sa.Column("kind", sa.String(32), nullable=False, server_default="initial_conference"),
        )
        # Null for meetings from before agendas: they follow the template of their kind.
        meetings.add_column(sa.Column("agenda", sa.Text, nullable=True))
    with op.batch_alter_table("cards") as cards:
        cards.add_column(sa.Column("child_ids", sa.Text, nullable=False, server_default="[]"))
        cards.add_column(sa.Column("restricted", sa.Boolean, nullable=False, server_default=sa.false()))
        cards.add_column(sa.Column("edited_by", sa.String(64), nullable=True))
    with op.batch_alter_table("ops") as ops:
        # What an op was about may be an answer, named by its round and its person: longer than one item id.
        ops.alter_column("card_id", existing_type=sa.String(64), type_=sa.String(160), existing_nullable=False)
    op.create_table(
        "meeting_states",
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.execute("INSERT INTO meeting_states (meeting_id, state) SELECT id, '{}' FROM meetings")
    _name_who_last_edited_each_card()


def _name_who_last_edited_each_card() -> None:
    """Cards now show who last changed their words when that was not their author. The log has always recorded
    it: replay each card's edits (an edit that changed the words bumped the card's version) as the rules do."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT meeting_id, actor_id, type, card_id, payload FROM ops ORDER BY meeting_id, seq")
    )
    versions: dict[tuple[str, str], int] = {}
    editors: dict[tuple[str, str], str | None] = {}
    for meeting_id, actor_id, op_type, card_id, payload in rows:
        card = json.loads(payload).get("card")
        key = (meeting_id, card_id)
        if card is None:
            versions.pop(key, None)
            editors.pop(key, None)
            continue
        changed_words = op_type == "edit_card" and card["version"] > versions.get(key, 0)
        if changed_words:
            first_time_by_author = actor_id == card["author_id"] and editors.get(key) is None
            editors[key] = None if first_time_by_author else actor_id
        versions[key] = card["version"]
    update = sa.text("UPDATE cards SET edited_by = :editor WHERE meeting_id = :meeting AND id = :card")
    for (meeting_id, card_id), editor in editors.items():
        if editor is not None:
            connection.execute(update, {"editor": editor, "meeting": meeting_id, "card": card_id})


def downgrade() -> None:
    op.drop_table("meeting_states")
    with op.batch_alter_table("ops") as ops:
        ops.alter_column("card_id", existing_type=sa.String(160), type_=sa.String(64), existing_nullable=False)
    with op.batch_alter_table("cards") as cards:
        for column in ("edited_by", "restricted", "child_ids"):
            cards.drop_column(column)
    with op.batch_alter_table("meetings") as meetings:
        meetings.drop_column("agenda")
        meetings.drop_column("kind")
