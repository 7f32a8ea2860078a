"""The room code: the chair makes, replaces and withdraws it; the chair, the professionals and the room screen read
it (text and QR code); nobody else ever gets it; it dies with the meeting."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import segno
from fastapi import FastAPI

from app.api.lobby import build_lobby_service, guess_odds
from app.config import Settings
from app.domain.operations import Actor
from app.domain.record import Finalise
from app.domain.roles import Role
from app.store.lobby import ALPHABET, CODE_SPACE
from tests.api._support import BASE_URL, JoinAs, Member, OpenBrowser, assert_error, create_meeting

CODE = re.compile(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
READERS = ["chair", "professional", "projector"]
NOT_READERS = ["family", "observer"]


@dataclass
class Clocks:
    """The lobby's wall clock and the rate limiter's monotonic one, moved together by the test."""

    wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    mono: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture(autouse=True)
def clocks(app: FastAPI) -> Clocks:
    clocks = Clocks()
    app.state.lobby = build_lobby_service(app.state.services, now=clocks.now, monotonic=clocks.monotonic)
    return clocks


OpenBrowserAt = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest_asyncio.fixture
async def open_browser_at(app: FastAPI) -> AsyncIterator[OpenBrowserAt]:
    """A new browser whose requests come from this address."""
    clients: list[httpx.AsyncClient] = []

    async def open_one(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        clients.append(client)
        return client

    try:
        yield open_one
    finally:
        for client in clients:
            await client.aclose()


async def make_code(chair: Member) -> str:
    response = await chair.browser.post(chair.url("/room-code"))
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


async def finalise(app: FastAPI, chair: Member) -> None:
    actor = Actor(chair.participant_id, Role.chair)
    await app.state.services.oplog.commit(chair.meeting_id, actor, uuid.uuid4().hex, Finalise())


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", border=4, xmldecl=False, omitsize=True, title="Scan to join the meeting"
    )
    return out.getvalue()


# --- making it ----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_chair_makes_a_code_to_type_on_a_tablet(chair: Member, clocks: Clocks) -> None:
    response = await chair.browser.post(chair.url("/room-code"))

    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"code", "expires_at", "join_url"}
    assert CODE.fullmatch(body["code"]), body
    assert datetime.fromisoformat(body["expires_at"]) == clocks.wall + timedelta(hours=12)
    assert body["join_url"] == f"{BASE_URL}/room#{body['code']}"


@pytest.mark.asyncio
async def test_the_code_rides_only_in_the_fragment_of_the_join_url(chair: Member) -> None:
    """Browsers never send a fragment, so the code is in no request line and no access log."""
    body = (await chair.browser.post(chair.url("/room-code"))).json()

    parts = urlsplit(body["join_url"])

    assert (parts.path, parts.query, parts.fragment) == ("/room", "", body["code"])


@pytest.mark.asyncio
async def test_no_route_takes_a_code_in_its_url(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if "code}" in path or "{code" in path]
    lobby = paths["/api/lobby"]["post"]
    assert not [p for p in lobby.get("parameters", []) if p["in"] in ("query", "path")]


@pytest.mark.asyncio
@pytest.mark.parametrize("role", READERS)
async def test_the_chair_professionals_and_room_screen_read_it(chair: Member, join_as: JoinAs, role: str) -> None:
    code = await make_code(chair)
    reader = chair if role == "chair" else await join_as(role)

    response = await reader.browser.get(reader.url("/room-code"))

    assert response.status_code == 200, response.text
    assert response.json()["code"] == code
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.asyncio
@pytest.mark.parametrize("role", NOT_READERS)
async def test_family_and_observers_never_get_the_code(chair: Member, join_as: JoinAs, role: str) -> None:
    code = await make_code(chair)
    member = await join_as(role)

    answers = [
        await member.browser.get(member.url("/room-code")),
        await member.browser.get(member.url("/room-code.svg")),
        await member.browser.post(member.url("/room-code")),
        await member.browser.delete(member.url("/room-code")),
    ]

    for answer in answers:
        assert_error(answer, 403, "forbidden")
    seen = [await member.browser.get(member.url(path)) for path in ("/me", "/board")]
    for answer in [*answers, *seen]:
        assert code not in answer.text and code.replace("-", "") not in answer.text


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["professional", "projector"])
async def test_only_the_chair_makes_or_withdraws_it(chair: Member, join_as: JoinAs, role: str) -> None:
    code = await make_code(chair)
    member = await join_as(role)

    assert_error(await member.browser.post(member.url("/room-code")), 403, "forbidden")
    assert_error(await member.browser.delete(member.url("/room-code")), 403, "forbidden")
    assert (await chair.browser.get(chair.url("/room-code"))).json()["code"] == code


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/room-code"), ("get", "/room-code"), ("get", "/room-code.svg"), ("delete", "/room-code")],
)
async def test_without_a_session_every_route_is_401(
    chair: Member, client: httpx.AsyncClient, open_browser: OpenBrowser, method: str, path: str
) -> None:
    await make_code(chair)
    other = await create_meeting(await open_browser(), title="Another conference")

    assert_error(await client.request(method, chair.url(path)), 401, "not_signed_in")
    # Another meeting's chair has no session here.
    assert_error(await other.browser.request(method, chair.url(path)), 401, "not_signed_in")


def assert_no_code(response: httpx.Response) -> None:
    """No live code is the usual state of a meeting, answered without an error (the chair's screen asks on load)."""
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.asyncio
async def test_no_code_is_204_until_one_is_made(chair: Member, client: httpx.AsyncClient) -> None:
    assert_no_code(await chair.browser.get(chair.url("/room-code")))
    assert_error(await chair.browser.get(chair.url("/room-code.svg")), 404, "room_code_not_found")
    spec = (await client.get("/openapi.json")).json()["paths"]["/api/meetings/{meeting_id}/room-code"]["get"]
    assert {"200", "204"} <= set(spec["responses"])


@pytest.mark.asyncio
async def test_a_new_code_replaces_the_old_and_withdrawing_ends_it(chair: Member, client: httpx.AsyncClient) -> None:
    first = await make_code(chair)
    second = await make_code(chair)
    assert second != first
    assert_error(await client.post("/api/lobby", json={"code": first}), 404, "room_code_not_found")

    withdrawn = await chair.browser.delete(chair.url("/room-code"))

    assert withdrawn.status_code == 204
    assert withdrawn.headers["cache-control"] == "no-store"
    assert (await chair.browser.delete(chair.url("/room-code"))).status_code == 204
    assert_no_code(await chair.browser.get(chair.url("/room-code")))
    assert_error(await client.post("/api/lobby", json={"code": second}), 404, "room_code_not_found")


@pytest.mark.asyncio
async def test_the_qr_code_is_the_join_url_made_here(chair: Member, join_as: JoinAs) -> None:
    code = await make_code(chair)
    wall = await join_as("projector")

    response = await wall.browser.get(wall.url("/room-code.svg"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == qr_svg(f"{BASE_URL}/room#{code}")
    assert response.text.startswith("<svg") and "<script" not in response.text and "href" not in response.text


@pytest.mark.asyncio
async def test_a_code_expires_after_the_session_lifetime(
    chair: Member, client: httpx.AsyncClient, clocks: Clocks
) -> None:
    code = await make_code(chair)

    clocks.advance(12 * 3600)

    assert_no_code(await chair.browser.get(chair.url("/room-code")))
    assert_error(await client.post("/api/lobby", json={"code": code}), 404, "room_code_not_found")


@pytest.mark.asyncio
async def test_a_finalised_meeting_has_no_code_and_takes_no_new_one(
    app: FastAPI, chair: Member, client: httpx.AsyncClient
) -> None:
    code = await make_code(chair)

    await finalise(app, chair)

    assert_no_code(await chair.browser.get(chair.url("/room-code")))
    assert_error(await chair.browser.get(chair.url("/room-code.svg")), 404, "room_code_not_found")
    assert_error(await chair.browser.post(chair.url("/room-code")), 409, "meeting_read_only")
    assert_error(await client.post("/api/lobby", json={"code": code}), 404, "room_code_not_found")


@pytest.mark.asyncio
async def test_without_a_key_codes_are_refused_plainly(app: FastAPI, chair: Member) -> None:
    """PostgreSQL without SOSBOARD_SECRET_KEY: no key to derive codes from, so none is made."""
    store = app.state.lobby.store
    store.key = store.key_id = None

    response = await chair.browser.post(chair.url("/room-code"))

    body = assert_error(response, 409, "room_codes_unavailable")
    assert "SOSBOARD_SECRET_KEY" in body["error"]["message"]


@pytest.mark.asyncio
async def test_the_audit_trail_says_codes_were_made_and_withdrawn_but_never_the_code(chair: Member) -> None:
    first = await make_code(chair)
    second = await make_code(chair)
    assert (await chair.browser.delete(chair.url("/room-code"))).status_code == 204

    response = await chair.browser.get(chair.url("/audit"))

    actions = [entry["action"] for entry in response.json()["entries"]]
    assert actions[1:4] == ["room_code_created", "room_code_created", "room_code_withdrawn"]
    for code in (first, second):
        assert code not in response.text and code.replace("-", "") not in response.text


@pytest.mark.asyncio
async def test_the_room_page_is_served_like_the_others(client: httpx.AsyncClient) -> None:
    response = await client.get("/room")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"


def test_the_odds_of_guessing_a_code_in_its_lifetime_are_under_one_in_a_million() -> None:
    settings = Settings()

    odds = guess_odds(settings.room_code_tries_per_minute, settings.session_hours)

    assert CODE_SPACE == 31**8 == 852_891_037_441
    assert odds == 60 * 12 * 60 / CODE_SPACE
    assert odds < 1e-7, "about 1 in 19.7 million"
    assert guess_odds(settings.room_code_tries_per_minute, settings.session_hours, processes=19) < 1e-6
    assert guess_odds(settings.room_code_tries_per_minute, settings.session_hours, processes=20) > 1e-6
