"""Statements run on the driver's cursor store and read what `execute` would, timestamps included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from app.store.database import Database
from app.store.prepared import Prepared
from app.store.tables import AuditEventRow, as_utc, utcnow

_EVENTS = AuditEventRow.__table__  # type: ignore[attr-defined]
_WRITE = Prepared(
    insert(_EVENTS).values(meeting_id=bindparam("b_meeting"), at=bindparam("b_at"), action=bindparam("b_action"))
)
_READ = Prepared(select(_EVENTS.c.at, _EVENTS.c.action.label("what")).where(_EVENTS.c.meeting_id == bindparam("b_m")))


@pytest.mark.asyncio
async def test_a_timestamp_written_prepared_is_stored_as_execute_stores_it_and_reads_back_as_the_same_instant(
    db: Database,
) -> None:
    at = utcnow() - timedelta(days=3, microseconds=7)

    def write(session: Session) -> None:
        _WRITE.run(session.connection(), {"b_meeting": "prepared-1", "b_at": at, "b_action": "joined"})
        session.execute(insert(_EVENTS), {"meeting_id": "executed-1", "at": at, "action": "joined"})
        session.commit()

    await db.transaction(write)

    def read(session: Session) -> tuple[object, object, object, object]:
        raw = {
            row.meeting_id: row.at
            for row in session.execute(
                select(_EVENTS.c.meeting_id, _EVENTS.c.at.cast(_EVENTS.c.action.type).label("at")).where(
                    _EVENTS.c.meeting_id.in_(("prepared-1", "executed-1"))
                )
            )
        }
        row = _READ.row(session.connection(), {"b_m": "prepared-1"})
        missing = _READ.row(session.connection(), {"b_m": "nobody"})
        return raw["prepared-1"], raw["executed-1"], row, missing

    prepared_text, executed_text, row, missing = await db.snapshot(read)
    assert prepared_text == executed_text  # the same text in the table, whichever way it was written
    assert as_utc(row.at) == at and row.what == "joined"  # by column name (or label), as a datetime
    assert missing is None
