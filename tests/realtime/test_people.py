"""The people a hello lists (everyone invited, so every item keeps its author's name): the room reads them once for
the screens that arrive together, and someone added (invited, or let in from the lobby) is in the next hello on
every process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from app.domain.meeting import Participant
from app.domain.roles import Role
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from realtime.broker import MemoryBroker
from realtime.room import RoomRegistry
from tests.conftest import ServerProcess
from tests.realtime.fakes import WAIT, FakeChannel
from tests.realtime.test_multiprocess import two_servers
from tests.realtime.test_room import LIMITS
from tests.support import clients

__all__ = ["two_servers"]  # the fixture, shared with test_multiprocess


def names(hello: dict[str, object]) -> set[str]:
    people = hello["people"]
    assert isinstance(people, list)
    return {person["display_name"] for person in people}


class CountedDirectory:
    """The store's people list, counting how often a room asks for it."""

    def __init__(self, meetings: Meetings) -> None:
        self.meetings = meetings
        self.reads = 0

    async def __call__(self, meeting_id: str) -> list[Participant]:
        self.reads += 1
        return await self.meetings.people(meeting_id)


@pytest_asyncio.fixture
async def meeting(tmp_path: Path) -> AsyncIterator[tuple[Meetings, OpLog, Participant]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'people.db'}")
    await db.run_migrations()
    meetings = Meetings(db, 1)
    signed_in, _ = await meetings.create("Conference", "Chair")
    yield meetings, OpLog(db), signed_in.participant
    await db.dispose()


async def hello_on(registry: RoomRegistry, who: Participant, screens: list[asyncio.Task[None]]) -> dict[str, object]:
    """A new screen of `who` in this process; it stays connected (in `screens`) until the test ends."""
    channel = FakeChannel()

    async def connected() -> None:
        async with registry.room(who.meeting_id) as room:
            await room.serve(channel, who, "session", None)

    screens.append(asyncio.create_task(connected()))
    return await channel.next("hello")


@pytest.mark.asyncio
async def test_screens_arriving_together_read_the_people_once_and_an_addition_reaches_every_process(
    meeting: tuple[Meetings, OpLog, Participant],
) -> None:
    meetings, oplog, chair = meeting
    broker = MemoryBroker()  # one broker, two registries: two processes
    directory = CountedDirectory(meetings)
    here = RoomRegistry(oplog, broker, LIMITS, directory)
    there = RoomRegistry(oplog, broker, LIMITS, directory)
    screens: list[asyncio.Task[None]] = []
    try:
        hellos = await asyncio.gather(*(hello_on(here, chair, screens) for _ in range(5)))
        assert all(names(hello) == {"Chair"} for hello in hellos)
        assert directory.reads == 1
        assert names(await hello_on(there, chair, screens)) == {"Chair"}
        assert directory.reads == 2

        await meetings.invite(chair.meeting_id, Role.family, "Nan", None, by=chair)
        await here.people_changed(chair.meeting_id)
        assert names(await hello_on(here, chair, screens)) == {"Chair", "Nan"}
        # The other process hears it through the broker: its next hello lists Nan too, without being told here.
        deadline = time.monotonic() + WAIT
        while names(await hello_on(there, chair, screens)) != {"Chair", "Nan"}:
            assert time.monotonic() < deadline, "the other process never listed Nan"
        reads = directory.reads
        assert names(await hello_on(there, chair, screens)) == {"Chair", "Nan"}
        assert directory.reads == reads  # held again once read
    finally:
        for screen in screens:
            screen.cancel()
        await asyncio.gather(*screens, return_exceptions=True)


@pytest.mark.asyncio
async def test_a_newcomer_the_room_does_not_know_yet_is_in_their_own_hello(
    meeting: tuple[Meetings, OpLog, Participant],
) -> None:
    meetings, oplog, chair = meeting
    registry = RoomRegistry(oplog, MemoryBroker(), LIMITS, CountedDirectory(meetings))
    screens: list[asyncio.Task[None]] = []
    try:
        assert names(await hello_on(registry, chair, screens)) == {"Chair"}
        # Invited on a process whose word never came (Redis away): the room sees a stranger and reads again.
        invited = await meetings.invite(chair.meeting_id, Role.professional, "Health visitor", "NHS", by=chair)
        hello = await hello_on(registry, invited.participant, screens)
        assert names(hello) == {"Chair", "Health visitor"}
    finally:
        for screen in screens:
            screen.cancel()
        await asyncio.gather(*screens, return_exceptions=True)


@pytest.mark.asyncio
async def test_someone_invited_or_let_in_while_the_board_is_open_is_in_the_next_hello(server: ServerProcess) -> None:
    chair = await clients.create_meeting(server.url)
    worker = await clients.add_member(server.url, chair, "professional", "Social worker")
    open_screens = [
        await clients.BoardClient.connect(server.ws_url, chair),
        await clients.BoardClient.connect(server.ws_url, worker),
    ]
    try:
        assert names(open_screens[1].hello) == {"Chair", "Social worker"}
        await clients.invite(server.url, chair, "family", "Nan")
        second_screen = await clients.BoardClient.connect(server.ws_url, worker)
        open_screens.append(second_screen)
        assert names(second_screen.hello) == {"Chair", "Social worker", "Nan"}

        async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as chair_http:
            async with httpx.AsyncClient(base_url=server.url) as tablet:
                code = (await chair_http.post(f"/api/meetings/{chair.meeting_id}/room-code")).json()["code"]
                assert (await tablet.post("/api/lobby", json={"code": code})).status_code == 200
            [device] = (await chair_http.get(f"/api/meetings/{chair.meeting_id}/lobby")).json()
            admitted = await chair_http.post(
                f"/api/meetings/{chair.meeting_id}/lobby/{device['id']}/admit",
                json={"display_name": "Family tablet", "role": "family"},
            )
            assert admitted.status_code == 201, admitted.text
        third_screen = await clients.BoardClient.connect(server.ws_url, chair)
        open_screens.append(third_screen)
        assert names(third_screen.hello) == {"Chair", "Social worker", "Nan", "Family tablet"}
    finally:
        for screen in open_screens:
            await screen.close()


@pytest.mark.asyncio
@pytest.mark.postgres
@pytest.mark.redis
async def test_someone_invited_on_one_process_is_in_the_next_hello_on_the_other(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two_servers
    chair = await clients.create_meeting(a.url)
    worker = await clients.add_member(a.url, chair, "professional", "Social worker")
    open_screens = [await clients.BoardClient.connect(b.ws_url, worker)]  # b's room holds the list
    try:
        await clients.invite(a.url, chair, "family", "Nan")
        deadline = time.monotonic() + WAIT
        while True:  # the word crosses through Redis: b's next hello lists Nan once it has arrived
            screen = await clients.BoardClient.connect(b.ws_url, worker)
            open_screens.append(screen)
            if names(screen.hello) == {"Chair", "Social worker", "Nan"}:
                break
            assert time.monotonic() < deadline, "the other process never listed Nan"
    finally:
        for screen in open_screens:
            await screen.close()
