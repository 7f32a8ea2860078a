"""The record: each op's place in a SHA-256 hash chain, the finalised time and legal hold of a meeting, and an
append-only audit trail of everything that is not an op (invites, joins, revokes, leaves, exports, reads of the
record, holds, purges).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.store.chain import GENESIS_FIELDS, chain_hash, genesis_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NO_CHANGES = "the audit trail is append-only: its rows are never changed or deleted"


def upgrade() -> None:
    # Plain ADD COLUMNs: on SQLite a batch would copy `meetings`, which every other table refers to.
    op.add_column("ops", sa.Column("hash", sa.String(64), nullable=True))
    op.add_column("meetings", sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("meetings", sa.Column("legal_hold", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # No foreign key: the trail outlives a purged meeting (it holds ids, never names or words).
        sa.Column("meeting_id", sa.String(32), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    _append_only("audit_events")
    _chain_existing_ops()


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_NO_CHANGES}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{_NO_CHANGES}'); END"
        )


def _chain_existing_ops() -> None:
    """Meetings from before the chain get one now, over their log as it stands, so `verify` covers them too."""
    connection = op.get_bind()
    meetings = connection.execute(sa.text("SELECT id, title, kind, agenda, created_at FROM meetings")).all()
    assert GENESIS_FIELDS == ("id", "title", "kind", "agenda", "created_at")
    update = sa.text("UPDATE ops SET hash = :hash WHERE meeting_id = :meeting AND seq = :seq")
    for meeting in meetings:
        previous = genesis_hash(dict(zip(GENESIS_FIELDS, meeting, strict=True)))
        rows = connection.execute(
            sa.text(
                "SELECT meeting_id, seq, op_id, actor_id, role, type, card_id, payload, created_at "
                "FROM ops WHERE meeting_id = :meeting ORDER BY seq"
            ),
            {"meeting": meeting[0]},
        ).mappings()
        for row in rows:
            previous = chain_hash(previous, dict(row))
            connection.execute(update, {"hash": previous, "meeting": row["meeting_id"], "seq": row["seq"]})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_table("audit_events")
    op.drop_column("meetings", "legal_hold")
    op.drop_column("meetings", "finalised_at")
    op.drop_column("ops", "hash")
