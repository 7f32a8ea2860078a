"""Everything a request or a socket needs, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.config import Settings
from app.domain.board import CARD_TEXT_MAX
from app.store.audit import AuditTrail
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.retention import ScheduledPurge, scheduled_purge
from realtime.broker import RoomBroker, broker_from_url
from realtime.room import Limits, RoomRegistry


@dataclass
class Services:
    settings: Settings
    db: Database
    meetings: Meetings
    oplog: OpLog
    broker: RoomBroker
    rooms: RoomRegistry
    audit: AuditTrail
    purge_schedule: ScheduledPurge | None = field(default=None, init=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.resolved_database_url())
        oplog = OpLog(db, timedelta(seconds=settings.finalised_screens_close_seconds))
        broker = broker_from_url(settings.broker_url)
        limits = Limits(
            max_frame_bytes=settings.max_frame_bytes,
            card_text_chars=CARD_TEXT_MAX,
            ops_per_second=settings.ops_per_second,
            ops_burst=settings.ops_burst,
            send_queue_frames=settings.send_queue_frames,
            replay_limit=settings.replay_limit,
            watcher_grace_seconds=settings.finalised_screens_close_seconds,
        )
        meetings = Meetings(db, settings.session_hours)
        return cls(
            settings=settings,
            db=db,
            meetings=meetings,
            oplog=oplog,
            broker=broker,
            rooms=RoomRegistry(oplog, broker, limits, meetings.people),
            audit=AuditTrail(db),
        )

    async def start(self) -> None:
        await self.db.run_migrations()
        self.purge_schedule = scheduled_purge(self.db, self.settings.retention_days, self.settings.purge_every_hours)

    async def stop(self) -> None:
        if self.purge_schedule is not None:
            await self.purge_schedule.stop()
        self.rooms.close_all()
        await self.broker.close()
        await self.db.dispose()
