"""The websocket upgrade, byte for byte: who gets a meeting's hello, and what everyone else gets back.

Cross-site websocket hijacking: a page on another site, in the chair's browser, opens the socket and the browser
adds the chair's cookie. Only the Origin header tells it apart, so every upgrade whose Origin is not exactly the
app's own (scheme, host and port) is refused, before anything of the meeting is read or sent. A credential that
is missing, forged, expired, revoked, left, or another meeting's is refused the same way. Each row looks at the raw
bytes the server sent back (status line, headers, body, and a second of whatever followed) for the meeting's
title, card text and people's names; the first row (the app's own page) must see them, so the search can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.conftest import ServerProcess
from tests.security.access_world import (
    CARD,
    CHAIR,
    CanaryMeeting,
    canaries_in,
    canary_meeting,
    expire_session,
    forged_token,
    raw_upgrade,
    start_server,
    token_of,
    with_token,
)
from tests.support.clients import Member, add_member, create_meeting, invite, join

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class World:
    server: ServerProcess
    database: Path
    meeting: CanaryMeeting
    other_meeting: Member
    """The chair of another meeting."""
    expired: Member
    revoked: Member
    left: Member


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("upgrade") / "board.db"


@pytest.fixture(scope="module")
def server(database: Path) -> Iterator[ServerProcess]:
    process = start_server(database)
    try:
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(server: ServerProcess, database: Path) -> World:
    meeting = await canary_meeting(server)
    chair = meeting.chair
    expired, revoked, left = [await add_member(server.url, chair, "family", f"Spare {n}") for n in range(3)]
    expire_session(database, expired)
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        response = await http.delete(f"/api/meetings/{chair.meeting_id}/participants/{revoked.participant_id}/invite")
        assert response.status_code == 204
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": left.cookie}) as http:
        assert (await http.post(f"/api/meetings/{left.meeting_id}/leave")).status_code == 204
    other = await create_meeting(server.url, title="Another meeting", chair="Another chair")
    return World(server, database, meeting, other, expired, revoked, left)


def own_origin(server: ServerProcess) -> str:
    return f"http://127.0.0.1:{server.port}"


ORIGINS: dict[str, Callable[[ServerProcess], str | None]] = {
    "another site": lambda _s: "https://evil.example",
    "another site on the same port": lambda s: f"http://evil.example:{s.port}",
    "null (a sandboxed frame or a file)": lambda _s: "null",
    "a look-alike host": lambda s: f"http://127.0.0.1.evil.example:{s.port}",
    "the host as user info": lambda s: f"http://127.0.0.1:{s.port}@evil.example",
    "another port": lambda s: f"http://127.0.0.1:{s.port + 1}",
    "https for an http app": lambda s: f"https://127.0.0.1:{s.port}",
    "localhost for 127.0.0.1": lambda s: f"http://localhost:{s.port}",
    "the origin with a path": lambda s: f"http://127.0.0.1:{s.port}/evil",
    "no Origin header": lambda _s: None,
}


async def test_the_apps_own_page_gets_the_meeting(world: World) -> None:
    """The control row: the same request with the app's own Origin is let in and carries the meeting's words (so
    the searches below would find them if a refusal leaked them)."""
    answer = await raw_upgrade(
        world.server, world.meeting.meeting_id, world.meeting.chair.cookie, own_origin(world.server)
    )
    assert answer.status == 101
    assert {CARD, CHAIR} <= set(canaries_in(answer.raw))


@pytest.mark.parametrize("origin_name", list(ORIGINS))
async def test_a_cross_site_upgrade_with_a_valid_cookie_is_refused_with_no_meeting_data(
    world: World, origin_name: str
) -> None:
    origin = ORIGINS[origin_name](world.server)
    answer = await raw_upgrade(world.server, world.meeting.meeting_id, world.meeting.chair.cookie, origin)
    assert answer.status == 403, f"{origin_name}: {answer.raw[:200]!r}"
    assert b"origin_not_allowed" in answer.raw
    assert canaries_in(answer.raw) == [], origin_name


CREDENTIALS: dict[str, Callable[[World], str | None]] = {
    "none": lambda _w: None,
    "a forged token": lambda w: with_token(w.meeting.chair, forged_token()).cookie,
    "an expired session": lambda w: w.expired.cookie,
    "a revoked person's session": lambda w: w.revoked.cookie,
    "a session that left": lambda w: w.left.cookie,
    "another meeting's cookie, as it is": lambda w: w.other_meeting.cookie,
    "another meeting's token under this meeting's name": lambda w: (
        with_token(w.other_meeting, token_of(w.other_meeting), w.meeting.meeting_id).cookie
    ),
}


@pytest.mark.parametrize("credential", list(CREDENTIALS))
async def test_an_upgrade_without_a_live_session_of_this_meeting_is_refused_with_no_meeting_data(
    world: World, credential: str
) -> None:
    cookie = CREDENTIALS[credential](world)
    answer = await raw_upgrade(world.server, world.meeting.meeting_id, cookie, own_origin(world.server))
    assert answer.status == 401, f"{credential}: {answer.raw[:200]!r}"
    assert b"not_signed_in" in answer.raw
    assert canaries_in(answer.raw) == [], credential


async def test_a_forged_host_header_does_not_make_another_site_same_origin(world: World) -> None:
    """DNS rebinding's shape: the attacker's page sends its own name as Host and Origin. The chair's cookie was
    set for 127.0.0.1, so a browser never sends it with such a request; sent anyway (by a script outside any
    browser, which needs no hijacking), it is a credential the sender already holds."""
    evil = f"evil.example:{world.server.port}"
    answer = await raw_upgrade(world.server, world.meeting.meeting_id, None, f"http://{evil}", host=evil)
    assert answer.status == 401
    assert canaries_in(answer.raw) == []


async def test_joining_a_second_time_by_the_same_link_still_works_until_it_is_revoked(world: World) -> None:
    """Invite links are reusable by design (a tablet and a phone); revoking ends every session they opened."""
    server, chair = world.server, world.meeting.chair
    token = await invite(server.url, chair, "professional", "Two devices")
    first, second = await join(server.url, token), await join(server.url, token)
    for member in (first, second):
        answer = await raw_upgrade(server, member.meeting_id, member.cookie, own_origin(server))
        assert answer.status == 101
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        response = await http.delete(f"/api/meetings/{chair.meeting_id}/participants/{first.participant_id}/invite")
        assert response.status_code == 204
    for member in (first, second):
        answer = await raw_upgrade(server, member.meeting_id, member.cookie, own_origin(server))
        assert answer.status == 401 and canaries_in(answer.raw) == []
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/api/join", json={"token": token})).status_code == 404


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "", "1&since=2", "%D9%A3"])  # the last: an Arabic-Indic 3
async def test_an_upgrade_with_a_since_that_is_not_one_integer_is_refused_with_no_meeting_data(
    world: World, since: str
) -> None:
    """docs/protocol.md: `since` is an integer >= 0; anything else is a client bug, refused with 403 and no body."""
    path = f"{world.meeting.meeting_id}?since={since}"
    answer = await raw_upgrade(world.server, path, world.meeting.chair.cookie, own_origin(world.server))
    assert answer.status == 403, f"{since}: {answer.raw[:200]!r}"
    assert canaries_in(answer.raw) == [], since
    head, _, body = answer.raw.partition(b"\r\n\r\n")
    assert b"\r\ncache-control: no-store" in head.lower() and body == b"", answer.raw
    resumed = await raw_upgrade(
        world.server, f"{world.meeting.meeting_id}?since=0", world.meeting.chair.cookie, own_origin(world.server)
    )
    assert resumed.status == 101


@pytest.mark.parametrize("credential", ["none", "a forged token"])
async def test_an_upgrade_to_a_meeting_that_does_not_exist_is_404_meeting_not_found(
    world: World, credential: str
) -> None:
    """docs/protocol.md's handshake table: the client stops, where a 401 would send the user for a new link."""
    unknown = "0" * 32
    cookie = None if credential == "none" else f"sos_{unknown}={forged_token()}"
    answer = await raw_upgrade(world.server, unknown, cookie, own_origin(world.server))
    assert answer.status == 404, answer.raw[:200]
    assert b"meeting_not_found" in answer.raw
    assert b"cache-control: no-store" in answer.raw.lower(), "every refusal, like every answer, is no-store"
