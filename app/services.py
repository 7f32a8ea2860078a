"""Everything a request or a socket needs, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.domain.board import CARD_TEXT_MAX
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
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

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.resolved_database_url())
        oplog = OpLog(db)
        broker = broker_from_url(settings.broker_url)
        limits = Limits(
            max_frame_bytes=settings.max_frame_bytes,
            card_text_chars=CARD_TEXT_MAX,
            ops_per_second=settings.ops_per_second,
            ops_burst=settings.ops_burst,
            send_queue_frames=settings.send_queue_frames,
            replay_limit=settings.replay_limit,
        )
        meetings = Meetings(db, settings.session_hours)
        return cls(
            settings=settings,
            db=db,
            meetings=meetings,
            oplog=oplog,
            broker=broker,
            rooms=RoomRegistry(oplog, broker, limits, meetings.people),
        )

    async def start(self) -> None:
        await self.db.run_migrations()

    async def stop(self) -> None:
        self.rooms.close_all()
        await self.broker.close()
        await self.db.dispose()
