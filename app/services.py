"""Everything a request or a socket needs, built once per app from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from app.config import Settings
from app.domain.board import CARD_TEXT_MAX
from app.store.audit import AuditTrail
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.retention import ScheduledPurge, scheduled_purge
from realtime.admission import ConnectionCaps
from realtime.broker import RoomBroker, broker_from_url
from realtime.loop_lag import LoopLag
from realtime.room import Limits, RoomRegistry

diagnostics_log = logging.getLogger("sosboard.diagnostics")


@dataclass
class Services:
    settings: Settings
    db: Database
    meetings: Meetings
    oplog: OpLog
    broker: RoomBroker
    rooms: RoomRegistry
    connections: ConnectionCaps
    audit: AuditTrail
    loop_lag: LoopLag
    purge_schedule: ScheduledPurge | None = field(default=None, init=False)
    diagnostics: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.resolved_database_url())
        loop_lag = LoopLag()
        oplog = OpLog(
            db,
            timedelta(seconds=settings.finalised_screens_close_seconds),
            max_group=settings.commit_group_ops,
            max_waiting=settings.commit_queue_ops,
            loop_lag=lambda: loop_lag.recent,
        )
        broker = broker_from_url(settings.broker_url)
        limits = Limits(
            max_frame_bytes=settings.max_frame_bytes,
            card_text_chars=CARD_TEXT_MAX,
            ops_per_second=settings.ops_per_second,
            ops_burst=settings.ops_burst,
            send_queue_frames=settings.send_queue_frames,
            replay_limit=settings.replay_limit,
            watcher_grace_seconds=settings.finalised_screens_close_seconds,
            control_frames_per_second=settings.control_frames_per_second,
            control_frames_burst=settings.control_frames_burst,
        )
        meetings = Meetings(db, settings.session_hours)
        return cls(
            settings=settings,
            db=db,
            meetings=meetings,
            oplog=oplog,
            broker=broker,
            rooms=RoomRegistry(oplog, broker, limits, meetings.people),
            connections=ConnectionCaps(settings.connections_per_participant, settings.connections_per_meeting),
            audit=AuditTrail(db),
            loop_lag=loop_lag,
        )

    async def start(self) -> None:
        await self.db.run_migrations()
        self.loop_lag.start()
        self.purge_schedule = scheduled_purge(self.db, self.settings.retention_days, self.settings.purge_every_hours)
        if self.settings.diagnostics_seconds is not None:
            self.diagnostics = asyncio.create_task(report_diagnostics(self.settings.diagnostics_seconds))

    async def stop(self) -> None:
        await self.loop_lag.stop()
        if self.diagnostics is not None:
            self.diagnostics.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.diagnostics
        if self.purge_schedule is not None:
            await self.purge_schedule.stop()
        self.rooms.close_all()
        await self.broker.close()
        await self.db.dispose()


async def report_diagnostics(every_seconds: float) -> None:
    """Counts only, never ids or words: the tasks of the process, the rooms open, the connections served (a room
    runs one `room-listen-*` task, a connection one `peer-reader`). A soak (bench/soak.py) reads these lines to
    see that nothing grows while the load stays the same."""
    while True:
        await asyncio.sleep(every_seconds)
        names = [task.get_name() for task in asyncio.all_tasks()]
        diagnostics_log.info(
            "diagnostics tasks=%d rooms=%d connections=%d",
            len(names),
            sum(name.startswith("room-listen-") for name in names),
            sum(name == "peer-reader" for name in names),
        )
