"""Every HTTP route, over real HTTP against `sosboard serve`: who may call it, and what everyone else gets back.

The routes come from the app itself (GET /openapi.json, and each route's action from app.api.access), so a route
added later fails `test_every_route_is_classified` until it has a row here: a row in REQUESTS (how to call it on
the canary meeting, and what an allowed call answers) or in SESSION_FREE (why it needs no session). Then every
test below covers it:

- without a live session of this meeting (none, forged, expired, revoked, left, another meeting's): 401
  `not_signed_in`, and none of the meeting's words (title, card text, people's names) in the body;
- as each role: exactly what app.domain.roles.HTTP_POLICY says, the one table the server and docs/protocol.md
  read: allowed gives the row's 2xx; refused gives 403 `forbidden`, none of the meeting's words, and changes
  nothing the chair can see (board, people, retention, room code, lobby);
- with another meeting's ids in its path (a participant, a lobby device): 404, and neither meeting changes;
- with a forged field in its body (author, role, meeting, seq...): 422 `invalid`, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.api.access import HttpRoute, http_routes
from app.config import Settings
from app.domain.roles import HTTP_POLICY, HttpAction, Role
from app.main import create_app
from tests.conftest import ServerProcess
from tests.security.access_world import (
    CanaryMeeting,
    canaries_in,
    canary_meeting,
    expire_session,
    forged_token,
    start_server,
    token_of,
    with_token,
)
from tests.support.clients import Member, add_member

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROUTES: list[HttpRoute] = list(http_routes(create_app(Settings(database_url="sqlite+aiosqlite://"))))
GUARDED = [route for route in ROUTES if route.action is not None]
FORGED_FIELDS: dict[str, Any] = {
    "author_id": "someone-else",
    "participant_id": "someone-else",
    "meeting_id": "another-meeting",
    "role": "chair",
    "seq": 1,
    "version": 7,
    "read_only": False,
    "finalised": None,
    "submitted_by": "someone-else",
    "edited_by": "someone-else",
    "status": "open",
    "id": "chosen-id",
}
"""Fields a caller might add to claim to be someone, somewhere or something else."""


def route_id(route: HttpRoute) -> str:
    return f"{route.method} {route.path}"


# ---- the world ----------------------------------------------------------------------------------------------------


@dataclass
class World:
    server: ServerProcess
    database: Path
    meeting: CanaryMeeting
    other: CanaryMeeting
    """Another meeting, with its own people and canaries of the same words (so a leak of it shows as well)."""
    dead: dict[str, Member] = field(default_factory=dict)
    """Sessions of this meeting that no longer work, by how they died."""

    def http(self, cookie: str | None = None) -> httpx.AsyncClient:
        headers = {"Cookie": cookie} if cookie else {}
        return httpx.AsyncClient(base_url=self.server.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("access-http") / "board.db"


@pytest.fixture(scope="module")
def server(database: Path) -> Iterator[ServerProcess]:
    # Many devices wait in its lobby over the module (each test brings its own): more than a real room ever holds.
    process = start_server(database, lobby_max_waiting="1000")
    try:
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(server: ServerProcess, database: Path) -> World:
    world = World(server, database, await canary_meeting(server), await canary_meeting(server))
    chair = world.meeting.chair
    for how in ("expired", "revoked", "left"):
        world.dead[how] = await add_member(server.url, chair, "professional", f"Spare {how}")
    expire_session(database, world.dead["expired"])
    async with world.http(chair.cookie) as http:
        revoked = world.dead["revoked"].participant_id
        assert (await http.delete(f"/api/meetings/{chair.meeting_id}/participants/{revoked}/invite")).status_code == 204
    async with world.http(world.dead["left"].cookie) as http:
        assert (await http.post(f"/api/meetings/{chair.meeting_id}/leave")).status_code == 204
    return world


# ---- how to call each route --------------------------------------------------------------------------------------


@dataclass
class Call:
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters besides meeting_id."""
    allowed_status: int = 200


Prepare = Callable[[World, CanaryMeeting], Awaitable[Call]]


async def _chairs_request(world: World, meeting: CanaryMeeting, method: str, path: str, **kwargs: Any) -> Any:
    async with world.http(meeting.chair.cookie) as http:
        response = await http.request(method, f"/api/meetings/{meeting.meeting_id}{path}", **kwargs)
    assert response.is_success, response.text
    return response.json() if response.content else None


async def throwaway_person(world: World, meeting: CanaryMeeting) -> str:
    invited = await _chairs_request(
        world, meeting, "POST", "/participants", json={"display_name": "Throwaway", "role": "professional"}
    )
    return str(invited["participant"]["id"])


async def live_code(world: World, meeting: CanaryMeeting) -> str:
    return str((await _chairs_request(world, meeting, "POST", "/room-code"))["code"])


async def waiting_device(world: World, meeting: CanaryMeeting) -> str:
    """A new device waiting in the meeting's lobby (by the room code, as a tablet comes); its entry id."""
    code = await live_code(world, meeting)
    before = {device["id"] for device in await _chairs_request(world, meeting, "GET", "/lobby")}
    async with world.http() as tablet:
        assert (await tablet.post("/api/lobby", json={"code": code})).json()["state"] == "waiting"
    [entry] = {device["id"] for device in await _chairs_request(world, meeting, "GET", "/lobby")} - before
    return entry


def fixed(call: Call) -> Prepare:
    async def prepare(_world: World, _meeting: CanaryMeeting) -> Call:
        return call

    return prepare


async def _person(world: World, meeting: CanaryMeeting, allowed_status: int) -> Call:
    return Call({"participant_id": await throwaway_person(world, meeting)}, allowed_status=allowed_status)


async def _device(world: World, meeting: CanaryMeeting, allowed_status: int) -> Call:
    return Call({"entry_id": await waiting_device(world, meeting)}, allowed_status)


async def _with_code(world: World, meeting: CanaryMeeting, allowed_status: int) -> Call:
    await live_code(world, meeting)
    return Call(allowed_status=allowed_status)


M = "/api/meetings/{meeting_id}"
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/meetings"): {"title": "A new one", "chair_name": "New chair"},
    ("POST", "/api/join"): {"token": "x" * 43},
    ("POST", "/api/lobby"): {"code": "ABCD-EFGH"},
    ("POST", f"{M}/participants"): {"display_name": "New person", "role": "family"},
    ("POST", f"{M}/lobby/{{entry_id}}/admit"): {"display_name": "Lobby tablet", "role": "family"},
}
"""A valid body for every route that takes one (what its OpenAPI requestBody asks for)."""
REQUESTS: dict[tuple[str, str], Prepare] = {
    ("GET", f"{M}/me"): fixed(Call()),
    ("GET", f"{M}/board"): fixed(Call()),
    ("GET", f"{M}/participants"): fixed(Call()),
    ("POST", f"{M}/participants"): fixed(Call(allowed_status=201)),
    ("POST", f"{M}/participants/{{participant_id}}/invite"): lambda w, m: _person(w, m, 201),
    ("DELETE", f"{M}/participants/{{participant_id}}/invite"): lambda w, m: _person(w, m, 204),
    ("POST", f"{M}/room-code"): fixed(Call(allowed_status=201)),
    ("GET", f"{M}/room-code"): lambda w, m: _with_code(w, m, 200),
    ("GET", f"{M}/room-code.svg"): lambda w, m: _with_code(w, m, 200),
    ("DELETE", f"{M}/room-code"): lambda w, m: _with_code(w, m, 204),
    ("GET", f"{M}/lobby"): fixed(Call()),
    ("POST", f"{M}/lobby/{{entry_id}}/admit"): lambda w, m: _device(w, m, 201),
    ("DELETE", f"{M}/lobby/{{entry_id}}"): lambda w, m: _device(w, m, 204),
    ("GET", f"{M}/verify"): fixed(Call()),
    ("GET", f"{M}/finalise-check"): fixed(Call()),
    ("GET", f"{M}/record.json"): fixed(Call()),
    ("GET", f"{M}/record.md"): fixed(Call()),
    ("GET", f"{M}/record.pdf"): fixed(Call()),
    ("GET", f"{M}/audit"): fixed(Call()),
    ("GET", f"{M}/audit.csv"): fixed(Call()),
    ("GET", f"{M}/retention"): fixed(Call()),
    ("PUT", f"{M}/hold"): fixed(Call(allowed_status=204)),
    ("DELETE", f"{M}/hold"): fixed(Call(allowed_status=204)),
}
"""How to call each route that needs a session, on a meeting: made ready by its chair (a person to reissue or
revoke, a live room code, a device in the lobby), and what an allowed call answers."""

SESSION_FREE: dict[tuple[str, str], str] = {
    ("POST", "/api/meetings"): "starts a new meeting",
    ("GET", "/api/meeting-kinds"): "the agendas there are, the same for everyone",
    ("POST", "/api/join"): "the invite token in the body is the credential",
    ("GET", "/api/lobby"): "the lobby cookie is the credential",
    ("POST", "/api/lobby"): "the room code in the body is the credential",
    ("DELETE", "/api/lobby"): "forgets this device's own lobby cookie",
    ("GET", "/api/glossary"): "jargon and plain words, the same for every meeting",
    ("GET", "/api/health"): "for the load balancer",
    ("POST", f"{M}/leave"): "ends this browser's own session, if any; always 204",
    ("GET", "/"): "a page: what it shows of a meeting comes over the socket",
    ("GET", "/join"): "a page: the invite token stays in the fragment",
    ("GET", "/room"): "a page: the room code stays in the fragment",
    ("GET", "/meetings/{meeting_id}"): "a page: what it shows of a meeting comes over the socket",
    ("GET", "/docs"): "the API reference page",
}
"""Routes that need no session of a meeting, and why."""

OTHER_MEETINGS_ID: dict[str, Callable[[World], Awaitable[str]]] = {
    "participant_id": lambda w: throwaway_person(w, w.other),
    "entry_id": lambda w: waiting_device(w, w.other),
}
"""For each path parameter besides meeting_id: a live id of the same kind in the other meeting."""


async def call(
    world: World, route: HttpRoute, cookie: str | None, meeting: CanaryMeeting | None = None
) -> httpx.Response:
    meeting = meeting or world.meeting
    prepared = await REQUESTS[(route.method, route.path)](world, meeting)
    return await send(world, route, cookie, meeting.meeting_id, prepared.params)


async def send(
    world: World,
    route: HttpRoute,
    cookie: str | None,
    meeting_id: str,
    params: dict[str, str],
    forged: dict[str, Any] | None = None,
) -> httpx.Response:
    """The route's request, with its valid body (and any forged fields added to it)."""
    path = route.path.format(meeting_id=meeting_id, **params)
    body = BODIES.get((route.method, route.path))
    async with world.http(cookie) as http:
        return await http.request(route.method, path, json=None if body is None else {**body, **(forged or {})})


async def what_the_chair_sees(world: World, meeting: CanaryMeeting) -> dict[str, Any]:
    """Everything a refused request could have changed, as the meeting's chair reads it."""
    seen: dict[str, Any] = {}
    async with world.http(meeting.chair.cookie) as http:
        for path in ("/board", "/participants", "/retention", "/room-code", "/lobby"):
            response = await http.get(f"/api/meetings/{meeting.meeting_id}{path}")
            seen[path] = (response.status_code, response.json() if response.content else None)  # 204: no code
    return seen


def assert_refused(response: httpx.Response, status: int, code: str, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.json()["error"]["code"] == code, what
    assert canaries_in(response.content) == [], f"{what}: the meeting's words in the refusal"


# ---- every route has a row ---------------------------------------------------------------------------------------


async def test_every_route_is_classified(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        schema = (await http.get("/openapi.json")).json()
    served = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    assert served <= {(route.method, route.path) for route in ROUTES}, "the app's routes include all OpenAPI lists"
    for route in ROUTES:
        key = (route.method, route.path)
        if route.action is None:
            assert key in SESSION_FREE, f"{route_id(route)} checks no role: add it to SESSION_FREE, saying why"
        else:
            assert key in REQUESTS, f"{route_id(route)} ({route.action}): add a row to REQUESTS"
    assert set(REQUESTS) | set(SESSION_FREE) == {(r.method, r.path) for r in ROUTES}, "a row for no route"
    assert {route.action for route in GUARDED} == set(HttpAction), "an action no route checks"


async def test_every_refusal_a_route_can_give_is_documented_in_its_openapi() -> None:
    for route in GUARDED:
        assert route.action is not None
        documented = set(SCHEMA["paths"][route.path][route.method.lower()]["responses"])
        assert "401" in documented, f"{route_id(route)} refuses without a session: document 401"
        if HTTP_POLICY[route.action] != set(Role):
            assert "403" in documented, f"{route_id(route)} refuses some roles: document 403"


# ---- without a live session -------------------------------------------------------------------------------------

CREDENTIALS: dict[str, Callable[[World], str | None]] = {
    "no cookie": lambda _w: None,
    "a forged token": lambda w: with_token(w.meeting.chair, forged_token()).cookie,
    "an expired session": lambda w: w.dead["expired"].cookie,
    "a revoked person's session": lambda w: w.dead["revoked"].cookie,
    "a session that left": lambda w: w.dead["left"].cookie,
    "another meeting's chair's cookie": lambda w: w.other.chair.cookie,
    "another meeting's chair's token under this meeting's name": lambda w: (
        with_token(w.other.chair, token_of(w.other.chair), w.meeting.meeting_id).cookie
    ),
}


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
async def test_without_a_live_session_of_this_meeting_a_route_answers_401_and_nothing_of_it(
    world: World, route: HttpRoute
) -> None:
    for credential, cookie_of in CREDENTIALS.items():
        response = await call(world, route, cookie_of(world))
        assert_refused(response, 401, "not_signed_in", f"{route_id(route)} with {credential}")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.action is None and r.method == "GET"], ids=route_id)
async def test_a_session_free_read_carries_nothing_of_any_meeting(world: World, route: HttpRoute) -> None:
    async with world.http(world.meeting.chair.cookie) as http:  # a signed-in browser: its cookie must not matter
        response = await http.get(route.path.format(meeting_id=world.meeting.meeting_id))
    assert canaries_in(response.content) == [], route_id(route)


# ---- the role table ---------------------------------------------------------------------------------------------

CELLS = [(route, role) for route in GUARDED for role in Role]


@pytest.mark.parametrize(("route", "role"), CELLS, ids=[f"{route_id(route)}-{role.value}" for route, role in CELLS])
async def test_a_role_may_call_a_route_exactly_when_the_http_policy_says(
    world: World, route: HttpRoute, role: Role
) -> None:
    assert route.action is not None
    member = world.meeting.members[role.value]
    prepared = await REQUESTS[(route.method, route.path)](world, world.meeting)
    before = await what_the_chair_sees(world, world.meeting)

    response = await send(world, route, member.cookie, world.meeting.meeting_id, prepared.params)

    what = f"{role.value} {route_id(route)}"
    if role in HTTP_POLICY[route.action]:
        assert response.status_code == prepared.allowed_status, f"{what} is allowed, but: {response.text[:300]}"
    else:
        assert_refused(response, 403, "forbidden", what)
        after = await what_the_chair_sees(world, world.meeting)
        before["/board"][1].pop("presence", None)
        after["/board"][1].pop("presence", None)
        assert after == before, f"{what} was refused but changed the meeting"


# ---- another meeting's ids --------------------------------------------------------------------------------------

WITH_IDS = [route for route in GUARDED if set(route.path.split("{")[2:])]


@pytest.mark.parametrize("route", WITH_IDS, ids=route_id)
async def test_another_meetings_ids_in_a_path_are_not_found_and_change_neither_meeting(
    world: World, route: HttpRoute
) -> None:
    names = [part.split("}")[0] for part in route.path.split("{")[2:]]
    missing = [name for name in names if name not in OTHER_MEETINGS_ID]
    assert not missing, f"{route_id(route)}: add {missing} to OTHER_MEETINGS_ID"
    params = {name: await OTHER_MEETINGS_ID[name](world) for name in names}
    before = [await what_the_chair_sees(world, meeting) for meeting in (world.meeting, world.other)]

    response = await send(world, route, world.meeting.chair.cookie, world.meeting.meeting_id, params)

    assert response.status_code == 404, f"{route_id(route)} with the other meeting's {names}: {response.text[:300]}"
    assert canaries_in(response.content) == []
    after = [await what_the_chair_sees(world, meeting) for meeting in (world.meeting, world.other)]
    for seen in (*before, *after):
        seen["/board"][1].pop("presence", None)
    assert after == before


# ---- forged fields in a body ------------------------------------------------------------------------------------


SCHEMA = create_app(Settings(database_url="sqlite+aiosqlite://")).openapi()
TAKING_A_BODY = [
    route for route in ROUTES if "requestBody" in SCHEMA["paths"].get(route.path, {}).get(route.method.lower(), {})
]
FORGED_CELLS = [
    (route, name)
    for route in TAKING_A_BODY
    for name in FORGED_FIELDS
    if name not in BODIES.get((route.method, route.path), {})  # `role` is the admitted device's own field
]


async def test_every_route_that_takes_a_body_has_a_valid_one_here() -> None:
    assert set(BODIES) == {(route.method, route.path) for route in TAKING_A_BODY}


@pytest.mark.parametrize(
    ("route", "forged"), FORGED_CELLS, ids=[f"{route_id(route)}-{name}" for route, name in FORGED_CELLS]
)
async def test_a_forged_field_in_a_body_is_invalid_and_changes_nothing(
    world: World, route: HttpRoute, forged: str
) -> None:
    body = BODIES[(route.method, route.path)]
    assert forged not in body, "a forged field is not one of the body's own"
    prepare = REQUESTS.get((route.method, route.path), fixed(Call()))
    prepared = await prepare(world, world.meeting)
    before = await what_the_chair_sees(world, world.meeting)

    response = await send(
        world,
        route,
        world.meeting.chair.cookie,
        world.meeting.meeting_id,
        prepared.params,
        {forged: FORGED_FIELDS[forged]},
    )

    assert_refused(response, 422, "invalid", f"{route_id(route)} with {forged}")
    assert forged in response.json()["error"]["message"]
    after = await what_the_chair_sees(world, world.meeting)
    before["/board"][1].pop("presence", None)
    after["/board"][1].pop("presence", None)
    assert after == before
