"""Every way a session ends closes its live connections at once, and nothing said after reaches them.

One row per way (revoking a professional, a family member or a device let in from the lobby; leaving; finalising,
for the family's tablet and the room screen): the person's connection is open, the ending happens, and then:

- the connection closes with 4401 within 2 s of the ending's answer (finalising: within 2 s of its ack, on a
  server whose family and room screens close 1 s after it, SOSBOARD_FINALISED_SCREENS_CLOSE_SECONDS=1; the default
  is 30 s, a goodbye screen's time);
- where the room can still be written to, the chair writes a card the moment the ending is answered: it never
  reaches the ended connection (its raw frames are searched), while the chair's own connection sees it;
- the same cookie opens nothing again: the upgrade is 401 and its bytes hold nothing of the meeting.

A device turned away from the lobby never had a session: it is told so and is given none. The narrower tests of
tests/realtime/test_session_end.py (only the right connections close) and test_finalise.py (the read-only room)
stay where they are; this table adds the timing, the later event and the dead cookie for every way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.security.access_world import canaries_in, raw_upgrade, start_server
from tests.support.clients import BoardClient, Member, add_member, create_meeting

pytestmark = pytest.mark.asyncio

CLOSED_WITHIN_SECONDS = 2.0
GRACE_SECONDS = "1"
LATER_WORDS = "Capybara: said after the session ended"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("session-end") / "board.db"
    process = start_server(database, finalised_screens_close_seconds=GRACE_SECONDS)
    try:
        yield process
    finally:
        process.stop()


async def lobby_device(server: ServerProcess, chair: Member) -> Member:
    """A tablet that came in by the room code and was let in as family."""
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        code = (await http.post(f"/api/meetings/{chair.meeting_id}/room-code")).json()["code"]
        async with httpx.AsyncClient(base_url=server.url) as tablet:
            assert (await tablet.post("/api/lobby", json={"code": code})).status_code == 200
            [device] = (await http.get(f"/api/meetings/{chair.meeting_id}/lobby")).json()
            admitted = await http.post(
                f"/api/meetings/{chair.meeting_id}/lobby/{device['id']}/admit",
                json={"display_name": "Lobby tablet", "role": "family"},
            )
            assert admitted.status_code == 201
            answer = await tablet.get("/api/lobby")
            assert answer.json()["state"] == "admitted"
            cookie = f"sos_{chair.meeting_id}={answer.cookies[f'sos_{chair.meeting_id}']}"
    return Member(chair.meeting_id, admitted.json()["id"], "family", cookie)


async def revoke(server: ServerProcess, chair: Member, _chair_tab: BoardClient, member: Member) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        path = f"/api/meetings/{chair.meeting_id}/participants/{member.participant_id}/invite"
        assert (await http.delete(path)).status_code == 204


async def leave(server: ServerProcess, _chair: Member, _chair_tab: BoardClient, member: Member) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": member.cookie}) as http:
        assert (await http.post(f"/api/meetings/{member.meeting_id}/leave")).status_code == 204


async def finalise(_server: ServerProcess, _chair: Member, chair_tab: BoardClient, _member: Member) -> None:
    assert (await chair_tab.request({"type": "finalise"}))["type"] == "ack"


Ending = Callable[[ServerProcess, Member, BoardClient, Member], Awaitable[None]]


@dataclass(frozen=True)
class Way:
    role: str
    end: Ending
    room_writable_after: bool
    """The chair can still add a card after it (not after finalising)."""
    by_lobby: bool = False


WAYS: dict[str, Way] = {
    "the chair revokes a professional": Way("professional", revoke, True),
    "the chair revokes a family member": Way("family", revoke, True),
    "the chair revokes a device let in from the lobby": Way("family", revoke, True, by_lobby=True),
    "the family member leaves": Way("family", leave, True),
    "the chair finalises: the family's tablet": Way("family", finalise, False),
    "the chair finalises: the room screen": Way("projector", finalise, False),
}


async def close_code(client: BoardClient, within: float) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(within):
            while True:
                await client.receive()
    assert closed.value.rcvd is not None, "the server closed the connection, with a code"
    return closed.value.rcvd.code


@pytest.mark.parametrize("way_name", list(WAYS))
async def test_an_ended_session_is_closed_within_2_s_and_hears_nothing_more(
    server: ServerProcess, way_name: str
) -> None:
    way = WAYS[way_name]
    chair = await create_meeting(server.url, chair="Chair")
    member = await lobby_device(server, chair) if way.by_lobby else await add_member(server.url, chair, way.role)
    chair_tab = await BoardClient.connect(server.ws_url, chair)
    tab = await BoardClient.connect(server.ws_url, member)
    try:
        await way.end(server, chair, chair_tab, member)
        ended_at = time.monotonic()
        if way.room_writable_after:
            later = await chair_tab.request(
                {"type": "add_card", "column": "worries", "kind": "harm", "text": LATER_WORDS}
            )
            assert later["type"] == "ack", later
            await chair_tab.sync_to(later["seq"])

        code = await close_code(tab, within=CLOSED_WITHIN_SECONDS + 3)
        closed_after = time.monotonic() - ended_at

        assert code == 4401, way_name
        assert closed_after < CLOSED_WITHIN_SECONDS, f"{way_name}: closed {closed_after:.2f} s after"
        assert LATER_WORDS not in tab.received_text(), f"{way_name}: an event after the end reached the connection"
        if way.room_writable_after:
            assert chair_tab.card(later["card_id"]) is not None, "the rest of the room goes on"
        answer = await raw_upgrade(server, member.meeting_id, member.cookie, server.url)
        assert answer.status == 401 and canaries_in(answer.raw) == [] and LATER_WORDS.encode() not in answer.raw
    finally:
        await tab.close()
        await chair_tab.close()


async def test_a_device_turned_away_from_the_lobby_is_told_so_and_given_no_session(server: ServerProcess) -> None:
    chair = await create_meeting(server.url, chair="Chair")
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        code = (await http.post(f"/api/meetings/{chair.meeting_id}/room-code")).json()["code"]
        async with httpx.AsyncClient(base_url=server.url) as tablet:
            assert (await tablet.post("/api/lobby", json={"code": code})).status_code == 200
            [device] = (await http.get(f"/api/meetings/{chair.meeting_id}/lobby")).json()
            assert (await http.delete(f"/api/meetings/{chair.meeting_id}/lobby/{device['id']}")).status_code == 204
            for _ in range(2):  # asked again, the answer stays the same
                answer = await tablet.get("/api/lobby")
                assert answer.json() == {"state": "turned_away", "meeting_id": None}
                assert not [c for c in tablet.cookies.jar if c.name.startswith("sos_") and c.name != "sos_lobby"]
            assert (await tablet.get(f"/api/meetings/{chair.meeting_id}/me")).status_code == 401
