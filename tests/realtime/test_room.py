"""The room on its own, with fake channels and a real op log: slow peers, lost broker messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from app.domain.meeting import Participant
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from realtime.broker import MemoryBroker
from realtime.protocol import Pong
from realtime.room import Limits, Peer, Room
from tests.realtime.fakes import WAIT, FakeChannel
from tests.support.writes import until

LIMITS = Limits(
    max_frame_bytes=65536,
    card_text_chars=1000,
    ops_per_second=1000,
    ops_burst=1000,
    send_queue_frames=8,
    replay_limit=100,
)


def add_frame(n: int) -> dict[str, Any]:
    op = {"type": "add_card", "column": "worries", "kind": "harm", "text": f"worry {n}"}
    return {"type": "op", "op_id": f"op-{n}", "op": op}


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[OpLog, Participant]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'room.db'}")
    await db.run_migrations()
    signed_in, _ = await Meetings(db, 1).create("Conference", "Chair")
    yield OpLog(db), signed_in.participant
    await db.dispose()


@contextlib.asynccontextmanager
async def serving(room: Room, channel: FakeChannel, who: Participant) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(room.serve(channel, who, "session", None))
    await channel.next("hello")
    try:
        yield task
    finally:
        channel.hang_up()
        await asyncio.wait_for(task, WAIT)


@pytest.mark.asyncio
async def test_the_writers_ack_and_its_own_event_go_in_one_write_ack_first(store: tuple[OpLog, Participant]) -> None:
    oplog, chair = store
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        writer, tablet = FakeChannel(), FakeChannel()
        async with serving(room, writer, chair), serving(room, tablet, chair):
            for n in range(3):
                writer.type(add_frame(n))
                ack = await writer.next("ack")
                # The very next frame the writer has is its own event: nothing came between the two.
                event = await asyncio.wait_for(writer.frames.get(), WAIT)
                assert (event["type"], event["seq"], event["op_id"]) == ("event", ack["seq"], f"op-{n}")
                assert (await tablet.next("event"))["seq"] == ack["seq"]
            assert writer.written_together == [2, 2, 2]
            assert tablet.written_together == []  # a listener's event goes alone, as it comes


@pytest.mark.asyncio
async def test_a_peer_too_slow_to_read_is_dropped_and_the_room_goes_on(store: tuple[OpLog, Participant]) -> None:
    oplog, chair = store
    broker = MemoryBroker()
    async with Room(chair.meeting_id, oplog, broker, LIMITS) as room:
        writer, healthy = FakeChannel(), FakeChannel()
        frozen = FakeChannel()
        async with serving(room, writer, chair), serving(room, healthy, chair):
            frozen_task = asyncio.create_task(room.serve(frozen, chair, "session", None))
            frozen.unstall.set()
            await frozen.next("hello")
            frozen.unstall.clear()  # its network freezes after the hello

            for n in range(30):
                writer.type(add_frame(n))
                assert (await writer.next("ack"))["seq"] == n + 1

            assert await asyncio.wait_for(frozen.closed, WAIT) == (4408, "Too slow to keep up; reconnect to resync.")
            await asyncio.wait_for(frozen_task, WAIT)
            seqs = [(await healthy.next("event"))["seq"] for _ in range(30)]
            assert seqs == list(range(1, 31))
            assert len(room.peers) == 2


@pytest.mark.asyncio
async def test_a_peer_whose_network_pauses_gets_every_event_once_in_order(store: tuple[OpLog, Participant]) -> None:
    # While its socket takes nothing, events wait in its backlog; once it takes frames again, the backlog goes
    # first and the events that come meanwhile queue behind it, never ahead.
    oplog, chair = store
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        writer, tablet = FakeChannel(), FakeChannel()
        async with serving(room, writer, chair), serving(room, tablet, chair):
            tablet.unstall.clear()
            for n in range(5):
                writer.type(add_frame(n))
                await writer.next("ack")
            tablet.unstall.set()
            for n in range(5, 10):
                writer.type(add_frame(n))
                await writer.next("ack")
            seqs = [(await tablet.next("event"))["seq"] for _ in range(10)]
            assert seqs == list(range(1, 11))
            assert tablet.frames.empty() and not tablet.closed.done()


@pytest.mark.asyncio
async def test_frames_sent_while_a_backlog_drains_go_behind_it(store: tuple[OpLog, Participant]) -> None:
    _, chair = store
    tablet = FakeChannel(stalled=True)
    peer = Peer(tablet, chair, "session", LIMITS)
    for seq in (1, 2, 3):
        peer.send_frame(Pong(seq=seq))  # the socket takes nothing: into the backlog
    tablet.unstall.set()
    for seq in (4, 5):
        peer.send_frame(Pong(seq=seq))  # the socket would take these at once, but the backlog is not sent yet
    assert [(await tablet.next("pong"))["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]
    await until(lambda: peer.writer is None, "the backlog sent and its writer ended")
    peer.send_frame(Pong(seq=6))  # backlog sent: straight to the socket again, no writer task
    assert peer.writer is None and (await tablet.next("pong"))["seq"] == 6


class BrokenSocket(FakeChannel):
    """A socket closed under the server before it heard of it: writing to it raises, as uvloop's does."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def send_now(self, text: str) -> bool:
        if self.broken:
            raise RuntimeError("unable to perform operation on a closed transport")
        return super().send_now(text)


@pytest.mark.asyncio
async def test_a_socket_that_fails_a_write_leaves_alone_and_the_room_goes_on(store: tuple[OpLog, Participant]) -> None:
    # The failing write happens inside the fan-out of someone else's edit: it must not stop that edit's delivery to
    # the others, nor the writer's next edits.
    oplog, chair = store
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        writer, broken, healthy = FakeChannel(), BrokenSocket(), FakeChannel()
        async with serving(room, writer, chair), serving(room, healthy, chair):
            broken_task = asyncio.create_task(room.serve(broken, chair, "session", None))
            await broken.next("hello")
            broken.broken = True
            for n in range(3):
                writer.type(add_frame(n))
                assert (await writer.next("ack"))["seq"] == n + 1
            assert [(await healthy.next("event"))["seq"] for _ in range(3)] == [1, 2, 3]
            await asyncio.wait_for(broken_task, WAIT)
            assert len(room.peers) == 2


class LossyBroker(MemoryBroker):
    """Drops every publish it is told to, like Redis pub/sub during a blip."""

    def __init__(self) -> None:
        super().__init__()
        self.drop_next = 0

    async def publish(self, meeting_id: str, message: str) -> None:
        if self.drop_next and '"kind": "event"' in message:
            self.drop_next -= 1
            return
        await super().publish(meeting_id, message)


@contextlib.asynccontextmanager
async def two_processes(
    store: tuple[OpLog, Participant],
) -> AsyncIterator[tuple[LossyBroker, FakeChannel, FakeChannel]]:
    """Two rooms for one meeting: two app processes sharing a database and a (lossy) broker, with the chair
    writing through one and reading through the other."""
    oplog, chair = store
    broker = LossyBroker()
    async with (
        Room(chair.meeting_id, oplog, broker, LIMITS) as here,
        Room(chair.meeting_id, oplog, broker, LIMITS) as there,
    ):
        writer, reader = FakeChannel(), FakeChannel()
        async with serving(here, writer, chair), serving(there, reader, chair):
            yield broker, writer, reader


@pytest.mark.asyncio
async def test_events_lost_by_the_broker_are_filled_from_the_op_log_in_order(store: tuple[OpLog, Participant]) -> None:
    async with two_processes(store) as (broker, writer, reader):
        broker.drop_next = 2
        for n in range(3):
            writer.type(add_frame(n))
            await writer.next("ack")
        # Events 1 and 2 never crossed the broker; event 3 did, and revealed the gap.
        got = [await reader.next("event") for _ in range(3)]
        assert [e["seq"] for e in got] == [1, 2, 3]
        assert [e["card"]["text"] for e in got] == ["worry 0", "worry 1", "worry 2"]


@pytest.mark.asyncio
async def test_a_ping_pulls_a_trailing_lost_event_from_the_op_log(store: tuple[OpLog, Participant]) -> None:
    async with two_processes(store) as (broker, writer, reader):
        broker.drop_next = 1
        writer.type(add_frame(0))
        await writer.next("ack")
        # Nothing follows to reveal the gap: the reader's next ping does.
        reader.type({"type": "ping"})
        event = await reader.next("event")
        assert event["seq"] == 1 and event["card"]["text"] == "worry 0"
        assert (await reader.next("pong"))["seq"] == 1


@pytest.mark.asyncio
async def test_the_hello_is_the_first_frame_even_while_others_join(store: tuple[OpLog, Participant]) -> None:
    oplog, chair = store
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        channels = [FakeChannel() for _ in range(12)]
        tasks = [asyncio.create_task(room.serve(channel, chair, "session", None)) for channel in channels]
        firsts = [await asyncio.wait_for(channel.frames.get(), WAIT) for channel in channels]
        assert [frame["type"] for frame in firsts] == ["hello"] * 12
        for channel in channels:
            channel.hang_up()
        await asyncio.wait_for(asyncio.gather(*tasks), WAIT)


class RegistryDownBroker(MemoryBroker):
    """Fan-out works, but the shared presence registry (Redis, say) does not answer."""

    async def presence_set(self, meeting_id: str, connection_id: str, entry: dict[str, Any]) -> None:
        raise ConnectionError("registry down")

    async def presence_remove(self, meeting_id: str, connection_id: str) -> None:
        raise ConnectionError("registry down")

    async def presence_list(self, meeting_id: str) -> list[dict[str, Any]]:
        raise ConnectionError("registry down")


@pytest.mark.asyncio
async def test_the_board_works_while_the_presence_registry_is_down(store: tuple[OpLog, Participant]) -> None:
    oplog, chair = store
    async with Room(chair.meeting_id, oplog, RegistryDownBroker(), LIMITS) as room:
        channel = FakeChannel()
        task = asyncio.create_task(room.serve(channel, chair, "session", None))
        hello = await channel.next("hello")
        # Who is here falls back to this process's own connections.
        assert [p["display_name"] for p in hello["present"]] == ["Chair"]
        assert hello["you"]["participant_id"] == chair.id
        channel.type(add_frame(1))
        assert (await channel.next("ack"))["seq"] == 1
        assert (await channel.next("event"))["card"]["text"] == "worry 1"
        channel.hang_up()
        await asyncio.wait_for(task, WAIT)


@pytest.mark.asyncio
async def test_a_connection_ends_with_its_session_and_the_others_go_on(
    store: tuple[OpLog, Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wall left on overnight: its session runs out while connected, and it stops receiving and writing, as its
    next connect would be refused."""
    monkeypatch.setattr("realtime.room.PRESENCE_RENEW_SECONDS", 0.05)  # checked with presence's renewal
    oplog, chair = store
    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    later = datetime.now(UTC) + timedelta(hours=8)
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        ending, staying = FakeChannel(), FakeChannel()
        ending_task = asyncio.create_task(room.serve(ending, chair, "ending-session", None, soon))
        staying_task = asyncio.create_task(room.serve(staying, chair, "staying-session", None, later))
        await ending.next("hello")
        await staying.next("hello")

        assert (await asyncio.wait_for(ending.closed, WAIT))[0] == 4401
        await asyncio.wait_for(ending_task, WAIT)
        staying.type(add_frame(1))
        assert (await staying.next("ack"))["seq"] == 1
        assert not staying.closed.done()
        staying.hang_up()
        await asyncio.wait_for(staying_task, WAIT)
