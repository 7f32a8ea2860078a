"""The conference: a meeting's kind and agenda, the card fields it adds (children, restriction, last editor), and
the rest of the meeting's projection (phases, attendance, statements, scaling, plan, decision...) as one JSON
document per meeting, written in the same transaction as each op that changes it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

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
    op.create_table(
        "meeting_states",
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.execute("INSERT INTO meeting_states (meeting_id, state) SELECT id, '{}' FROM meetings")


def downgrade() -> None:
    op.drop_table("meeting_states")
    with op.batch_alter_table("cards") as cards:
        for column in ("edited_by", "restricted", "child_ids"):
            cards.drop_column(column)
    with op.batch_alter_table("meetings") as meetings:
        meetings.drop_column("agenda")
        meetings.drop_column("kind")
