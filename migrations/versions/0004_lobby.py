"""Joining the room by code: each meeting's room code (stored as a keyed hash, never the code) and the lobby of
devices waiting for the chair to admit them (a hashed random token each, nothing that identifies the device).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_codes",
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(32), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_room_codes_code_hash", "room_codes", ["code_hash"], unique=True)
    op.create_table(
        "lobby_entries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("meeting_id", sa.String(32), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("participant_id", sa.String(32), sa.ForeignKey("participants.id"), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_lobby_entries_meeting_status", "lobby_entries", ["meeting_id", "status"])
    op.create_index("ix_lobby_entries_token_hash", "lobby_entries", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_table("lobby_entries")
    op.drop_table("room_codes")
