"""The live board: meetings, participants, invites, sessions, the op log and the card projection.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _now() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        _now(),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("agency", sa.String(120), nullable=True),
        _now(),
    )
    op.create_table(
        "invites",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("participant_id", sa.String(32), sa.ForeignKey("participants.id"), nullable=False, index=True),
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), nullable=False),
        _now(),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("participant_id", sa.String(32), sa.ForeignKey("participants.id"), nullable=False, index=True),
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), nullable=False),
        _now(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "ops",
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("op_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        _now(),
        sa.UniqueConstraint("meeting_id", "op_id", name="uq_ops_meeting_op_id"),
    )
    op.create_table(
        "cards",
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("column", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_cards_meeting_column_position", "cards", ["meeting_id", "column", "position"])


def downgrade() -> None:
    for table in ("cards", "ops", "sessions", "invites", "participants", "meetings"):
        op.drop_table(table)
