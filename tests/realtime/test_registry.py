"""The rooms of one process: a room that is slow to close holds up no other meeting's connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from realtime import room as room_module
from realtime.broker import MemoryBroker, Subscription
from realtime.room import RoomRegistry
from tests.realtime.fakes import WAIT
from tests.realtime.test_room import LIMITS

pytestmark = pytest.mark.asyncio


class StubbornSubscription:
    """A subscription whose reader swallows the first cancellation it gets, as a library caught in a race can."""

    def __init__(self) -> None:
        self.listening = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[str]:
        self.listening.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
        await asyncio.Event().wait()  # and goes on waiting: only a second cancellation stops it
        yield ""


class StubbornBroker(MemoryBroker):
    def __init__(self, stubborn_meeting: str) -> None:
        super().__init__()
        self.stubborn_meeting = stubborn_meeting
        self.stubborn = StubbornSubscription()

    @contextlib.asynccontextmanager
    async def subscribe(self, meeting_id: str) -> AsyncIterator[Subscription]:
        if meeting_id != self.stubborn_meeting:
            async with super().subscribe(meeting_id) as inbox:
                yield inbox
            return
        yield self.stubborn


async def test_a_room_slow_to_close_holds_up_no_other_meeting_and_is_closed_in_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(room_module, "ROOM_TASKS_STOP_SECONDS", 0.5)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'rooms.db'}")
    await db.run_migrations()
    try:
        meetings = Meetings(db, 1)
        stuck, _ = await meetings.create("Stuck", "Chair")
        other, _ = await meetings.create("Other", "Chair")
        broker = StubbornBroker(stuck.meeting.id)
        rooms = RoomRegistry(OpLog(db), broker, LIMITS)

        async def visit(meeting_id: str) -> None:
            async with rooms.room(meeting_id):
                if meeting_id == stuck.meeting.id:
                    await broker.stubborn.listening.wait()
            # the last one out has closed the room

        leaving = asyncio.create_task(visit(stuck.meeting.id))
        await asyncio.wait_for(broker.stubborn.cancelled.wait(), WAIT)  # its room is closing, and stuck
        # Meanwhile another meeting's room opens and closes at once.
        await asyncio.wait_for(visit(other.meeting.id), 1.0)
        assert not leaving.done()
        await asyncio.wait_for(leaving, WAIT)  # the stuck room gives up on its task after a bounded wait
    finally:
        await db.dispose()
