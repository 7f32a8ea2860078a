"""The lobby: a device gives the room code and waits; the chair lets it in with a name and a role, or turns it
away; guessing codes is rate-limited per address and across the server."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from websockets.exceptions import ConnectionClosed

from app.api.lobby import LOBBY_COOKIE, client_address, parse_networks
from app.config import Settings
from tests.api._support import (
    JoinAs,
    Member,
    OpenBrowser,
    assert_error,
    assert_session_cookie,
    browser_with_cookie,
    create_meeting,
    set_cookie,
)
from tests.api.test_room_code import Clocks, OpenBrowserAt, clocks, finalise, make_code, open_browser_at
from tests.conftest import ServerProcess
from tests.support import clients

__all__ = ["clocks", "open_browser_at"]  # fixtures shared with test_room_code

WRONG = "ZZZZ-ZZZZ"


def wrong_code(index: int) -> str:
    """A well-formed code that is (all but certainly) nobody's: a different one each try."""
    symbols = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return f"ZZZ{symbols[index // 31 % 31]}-{symbols[index % 31]}ZZZ"


async def arrive(browser: httpx.AsyncClient, code: str) -> httpx.Response:
    response = await browser.post("/api/lobby", json={"code": code})
    assert response.status_code == 200, response.text
    return response


async def state(browser: httpx.AsyncClient) -> str:
    response = await browser.get("/api/lobby")
    assert response.status_code == 200, response.text
    found: str = response.json()["state"]
    return found


async def waiting_ids(chair: Member) -> list[str]:
    response = await chair.browser.get(chair.url("/lobby"))
    assert response.status_code == 200, response.text
    return [device["id"] for device in response.json()]


async def admit(chair: Member, entry_id: str, role: str = "family", name: str = "Pat Parent") -> dict[str, str]:
    response = await chair.browser.post(
        chair.url(f"/lobby/{entry_id}/admit"), json={"display_name": name, "role": role}
    )
    assert response.status_code == 201, response.text
    participant: dict[str, str] = response.json()
    return participant


async def waiting_device(
    chair: Member, open_browser: OpenBrowser, code: str | None = None
) -> tuple[httpx.AsyncClient, str]:
    """A new browser waiting in the chair's lobby, and its entry id."""
    code = code or await make_code(chair)
    before = set(await waiting_ids(chair))
    browser = await open_browser()
    await arrive(browser, code)
    [entry_id] = set(await waiting_ids(chair)) - before
    return browser, entry_id


# --- waiting, admitted, in ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_tablet_waits_is_admitted_and_is_signed_in(chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    tablet = await open_browser()

    waiting = await tablet.post("/api/lobby", json={"code": code.lower().replace("-", " ")})

    assert waiting.status_code == 200, waiting.text
    assert waiting.json() == {"state": "waiting", "meeting_id": None}, "a guesser learns nothing of the meeting"
    assert "Initial conference" not in waiting.text and chair.meeting_id not in waiting.text
    assert waiting.headers["cache-control"] == "no-store"
    cookie = set_cookie(waiting, LOBBY_COOKIE)
    assert "httponly" in cookie and cookie.get("samesite", "").lower() == "strict"
    assert cookie["path"] == "/api/lobby" and "max-age" not in cookie and "expires" not in cookie
    assert len(cookie["value"]) >= 43, "256 random bits"
    assert await state(tablet) == "waiting"
    assert_error(await tablet.get(chair.url("/me")), 401, "not_signed_in")

    [entry_id] = await waiting_ids(chair)
    participant = await admit(chair, entry_id, "family", "Pat Parent")
    assert participant["role"] == "family" and participant["display_name"] == "Pat Parent"

    came_in = await tablet.get("/api/lobby")
    assert came_in.status_code == 200, came_in.text
    assert came_in.json() == {"state": "admitted", "meeting_id": chair.meeting_id}
    assert came_in.headers["cache-control"] == "no-store"
    assert_session_cookie(came_in, chair.meeting_id)
    me = await tablet.get(chair.url("/me"))
    assert me.status_code == 200, me.text
    assert me.json()["participant"]["id"] == participant["id"]
    assert await waiting_ids(chair) == []


@pytest.mark.asyncio
async def test_the_admission_opens_one_session_once(chair: Member, open_browser: OpenBrowser) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)
    lobby_token = tablet.cookies[LOBBY_COOKIE]
    await admit(chair, entry_id)
    assert (await tablet.get("/api/lobby")).json()["state"] == "admitted"

    again = await tablet.get("/api/lobby")
    copied = await browser_with_cookie(open_browser, LOBBY_COOKIE, lobby_token)
    from_a_copy = await copied.get("/api/lobby")

    for answer in (again, from_a_copy):
        assert answer.json() == {"state": "used", "meeting_id": None}
        assert f"sos_{chair.meeting_id}" not in answer.headers.get("set-cookie", "")
    assert_error(await copied.get(chair.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_the_chair_lets_people_in_with_any_role_but_chair(
    chair: Member, open_browser: OpenBrowser, client: httpx.AsyncClient
) -> None:
    code = await make_code(chair)
    for role in ("projector", "professional", "observer"):
        device, entry_id = await waiting_device(chair, open_browser, code)
        await admit(chair, entry_id, role, f"The {role}")
        assert (await device.get("/api/lobby")).json()["state"] == "admitted"
        assert (await device.get(chair.url("/me"))).json()["participant"]["role"] == role

    _device, entry_id = await waiting_device(chair, open_browser, code)
    for body in (
        {"display_name": "Me", "role": "chair"},
        {"display_name": "", "role": "family"},
        {"display_name": "Pat", "role": "family", "admin": True},
        {"role": "family"},
    ):
        assert_error(await chair.browser.post(chair.url(f"/lobby/{entry_id}/admit"), json=body), 422, "invalid")
    with_agency = await chair.browser.post(
        chair.url(f"/lobby/{entry_id}/admit"), json={"display_name": "Sam", "role": "professional", "agency": "School"}
    )
    assert with_agency.json()["agency"] == "School"


@pytest.mark.asyncio
async def test_a_second_device_using_the_same_code_waits_again(chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    first, entry_id = await waiting_device(chair, open_browser, code)
    await admit(chair, entry_id)
    assert await state(first) == "admitted"

    second, second_entry = await waiting_device(chair, open_browser, code)

    assert await state(second) == "waiting"
    assert await waiting_ids(chair) == [second_entry]
    assert_error(await second.get(chair.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_a_device_turned_away_is_told_so_and_gets_nothing(chair: Member, open_browser: OpenBrowser) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)

    turned = await chair.browser.delete(chair.url(f"/lobby/{entry_id}"))

    assert turned.status_code == 204
    assert (await chair.browser.delete(chair.url(f"/lobby/{entry_id}"))).status_code == 204, "a double click"
    answer = await tablet.get("/api/lobby")
    assert answer.json() == {"state": "turned_away", "meeting_id": None}
    assert "set-cookie" not in answer.headers
    assert await waiting_ids(chair) == []
    assert_error(
        await chair.browser.post(chair.url(f"/lobby/{entry_id}/admit"), json={"display_name": "P", "role": "family"}),
        409,
        "lobby_entry_not_waiting",
    )


@pytest.mark.asyncio
async def test_a_device_can_stop_waiting(chair: Member, open_browser: OpenBrowser) -> None:
    tablet, _entry_id = await waiting_device(chair, open_browser)

    left = await tablet.delete("/api/lobby")

    assert left.status_code == 204
    assert set_cookie(left, LOBBY_COOKIE)["value"] == ""
    assert await waiting_ids(chair) == []
    assert (await tablet.get("/api/lobby")).status_code == 204


@pytest.mark.asyncio
async def test_a_device_typing_the_code_again_keeps_one_place(chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    tablet, _first = await waiting_device(chair, open_browser, code)

    await arrive(tablet, code)

    assert len(await waiting_ids(chair)) == 1


@pytest.mark.asyncio
async def test_without_a_lobby_cookie_there_is_nothing_to_ask_after(
    client: httpx.AsyncClient, open_browser: OpenBrowser
) -> None:
    # Not waiting is an answer, not an error: the join page asks on every load (it cannot see the cookie).
    nothing = await client.get("/api/lobby")
    assert (nothing.status_code, nothing.content, nothing.headers["cache-control"]) == (204, b"", "no-store")
    forged = await browser_with_cookie(open_browser, LOBBY_COOKIE, "x" * 43)
    assert (await forged.get("/api/lobby")).status_code == 204
    assert (await client.delete("/api/lobby")).status_code == 204


# --- revoking, finalising, expiry, the cap --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_revoking_ends_the_session_and_the_lobby_cookie_does_not_get_back_in(
    chair: Member, open_browser: OpenBrowser
) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)
    lobby_token = tablet.cookies[LOBBY_COOKIE]
    participant = await admit(chair, entry_id)
    assert await state(tablet) == "admitted"

    revoked = await chair.browser.delete(chair.url(f"/participants/{participant['id']}/invite"))

    assert revoked.status_code == 204, revoked.text
    assert_error(await tablet.get(chair.url("/me")), 401, "not_signed_in")
    replay = await browser_with_cookie(open_browser, LOBBY_COOKIE, lobby_token)
    answer = await replay.get("/api/lobby")
    assert answer.json()["state"] == "used" and "set-cookie" not in answer.headers
    statuses = {
        row["participant"]["id"]: row["invite"]["status"]
        for row in (await chair.browser.get(chair.url("/participants"))).json()
    }
    assert statuses[participant["id"]] == "revoked"


@pytest.mark.asyncio
async def test_revoking_before_the_device_came_in_turns_it_away(chair: Member, open_browser: OpenBrowser) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)
    participant = await admit(chair, entry_id)

    await chair.browser.delete(chair.url(f"/participants/{participant['id']}/invite"))

    answer = await tablet.get("/api/lobby")
    assert answer.json()["state"] == "turned_away" and "set-cookie" not in answer.headers


@pytest.mark.asyncio
async def test_a_device_turned_away_by_a_revoke_stays_out_when_the_person_gets_a_new_link(
    chair: Member, open_browser: OpenBrowser
) -> None:
    """The chair let the wrong tablet in, revoked it, and made a new link for the right device."""
    tablet, entry_id = await waiting_device(chair, open_browser)
    participant = await admit(chair, entry_id)
    await chair.browser.delete(chair.url(f"/participants/{participant['id']}/invite"))

    reissued = await chair.browser.post(chair.url(f"/participants/{participant['id']}/invite"))
    assert reissued.status_code in (200, 201), reissued.text

    answer = await tablet.get("/api/lobby")
    assert answer.json()["state"] == "turned_away" and "set-cookie" not in answer.headers
    assert (await tablet.get(chair.url("/me"))).status_code == 401


@pytest.mark.asyncio
async def test_the_people_panel_shows_an_admitted_device_like_an_invited_person(
    chair: Member, open_browser: OpenBrowser
) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)
    participant = await admit(chair, entry_id, "projector", "Room screen")

    async def status() -> str:
        rows = (await chair.browser.get(chair.url("/participants"))).json()
        return next(row["invite"]["status"] for row in rows if row["participant"]["id"] == participant["id"])

    assert await status() == "active"
    await state(tablet)
    assert await status() == "used"


@pytest.mark.asyncio
async def test_a_finalised_meeting_takes_no_device(app: FastAPI, chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    waiting, entry_id = await waiting_device(chair, open_browser, code)
    admitted, admitted_entry = await waiting_device(chair, open_browser, code)
    await admit(chair, admitted_entry)

    await finalise(app, chair)

    assert_error(await (await open_browser()).post("/api/lobby", json={"code": code}), 404, "room_code_not_found")
    assert await state(waiting) == "expired"
    late = await admitted.get("/api/lobby")
    assert late.json()["state"] == "expired" and "set-cookie" not in late.headers
    listed = await chair.browser.get(chair.url("/lobby"))
    assert listed.status_code == 200 and listed.json() == [], "the chair is not shown devices nobody can let in"
    assert_error(
        await chair.browser.post(chair.url(f"/lobby/{entry_id}/admit"), json={"display_name": "P", "role": "family"}),
        409,
        "meeting_read_only",
    )


@pytest.mark.asyncio
async def test_a_wait_expires_after_thirty_minutes(chair: Member, open_browser: OpenBrowser, clocks: Clocks) -> None:
    tablet, entry_id = await waiting_device(chair, open_browser)

    clocks.advance(29 * 60)
    assert await state(tablet) == "waiting"
    clocks.advance(60)

    assert await state(tablet) == "expired"
    assert await waiting_ids(chair) == []
    assert_error(await chair.browser.delete(chair.url(f"/lobby/{entry_id}")), 409, "lobby_entry_not_waiting")


@pytest.mark.asyncio
async def test_the_lobby_holds_twenty_devices_at_most(chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    for _ in range(20):
        await arrive(await open_browser(), code)

    full = await (await open_browser()).post("/api/lobby", json={"code": code})

    body = assert_error(full, 409, "lobby_full")
    assert "chair" in body["error"]["message"]
    assert "set-cookie" not in full.headers
    await chair.browser.delete(chair.url(f"/lobby/{(await waiting_ids(chair))[0]}"))
    await arrive(await open_browser(), code)


# --- the chair's routes -------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_chair_sees_when_each_device_came_and_nothing_that_identifies_it(
    chair: Member, open_browser_at: OpenBrowserAt, clocks: Clocks, db_path: Path
) -> None:
    code = await make_code(chair)
    tablet = await open_browser_at("203.0.113.77")
    tablet.headers["User-Agent"] = "Canary-Tablet/1.0"
    await arrive(tablet, code)

    response = await chair.browser.get(chair.url("/lobby"))

    assert response.headers["cache-control"] == "no-store"
    [device] = response.json()
    assert set(device) == {"id", "arrived_at", "expires_at"}
    with sqlite3.connect(db_path) as connection:
        stored = repr(connection.execute("SELECT * FROM lobby_entries").fetchall())
    connection.close()
    assert "203.0.113" not in stored and "Canary" not in stored


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["professional", "family", "projector", "observer"])
async def test_only_the_chair_runs_the_lobby(
    chair: Member, join_as: JoinAs, open_browser: OpenBrowser, role: str
) -> None:
    _tablet, entry_id = await waiting_device(chair, open_browser)
    member = await join_as(role)

    assert_error(await member.browser.get(member.url("/lobby")), 403, "forbidden")
    admit_body = {"display_name": "Pat", "role": "family"}
    assert_error(await member.browser.post(member.url(f"/lobby/{entry_id}/admit"), json=admit_body), 403, "forbidden")
    assert_error(await member.browser.delete(member.url(f"/lobby/{entry_id}")), 403, "forbidden")
    assert await waiting_ids(chair) == [entry_id]


@pytest.mark.asyncio
async def test_without_a_session_the_chairs_routes_are_401(
    chair: Member, client: httpx.AsyncClient, open_browser: OpenBrowser
) -> None:
    _tablet, entry_id = await waiting_device(chair, open_browser)
    admit_body = {"display_name": "Pat", "role": "family"}

    assert_error(await client.get(chair.url("/lobby")), 401, "not_signed_in")
    assert_error(await client.post(chair.url(f"/lobby/{entry_id}/admit"), json=admit_body), 401, "not_signed_in")
    assert_error(await client.delete(chair.url(f"/lobby/{entry_id}")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_another_meetings_device_is_404(chair: Member, open_browser: OpenBrowser) -> None:
    other = await create_meeting(await open_browser(), title="Another conference")
    _tablet, entry_id = await waiting_device(other, open_browser)
    admit_body = {"display_name": "Pat", "role": "family"}

    for entry in (entry_id, "no-such-entry"):
        assert_error(
            await chair.browser.post(chair.url(f"/lobby/{entry}/admit"), json=admit_body), 404, "lobby_entry_not_found"
        )
        assert_error(await chair.browser.delete(chair.url(f"/lobby/{entry}")), 404, "lobby_entry_not_found")
    assert await waiting_ids(other) == [entry_id]


@pytest.mark.asyncio
async def test_the_audit_trail_has_admissions_and_turnings_away_by_id(chair: Member, open_browser: OpenBrowser) -> None:
    code = await make_code(chair)
    tablet, admitted_entry = await waiting_device(chair, open_browser, code)
    _other, turned_entry = await waiting_device(chair, open_browser, code)
    participant = await admit(chair, admitted_entry, "family", "Pat Parent")
    await chair.browser.delete(chair.url(f"/lobby/{turned_entry}"))
    await state(tablet)

    response = await chair.browser.get(chair.url("/audit"))

    entries = response.json()["entries"]
    found = [(e["actor_role"], e["action"], e["detail"]) for e in entries if e["kind"] == "event"]
    admitted_detail = {"participant_id": participant["id"], "role": "family", "entry_id": admitted_entry}
    assert ("chair", "admitted", admitted_detail) in found
    assert ("chair", "lobby_turned_away", {"entry_id": turned_entry}) in found
    assert ("family", "joined", {"via": "lobby"}) in found
    [admitted] = [e for e in entries if e["action"] == "admitted"]
    assert admitted["participant_id"] == participant["id"] and admitted["participant_name"] == "Pat Parent"
    assert code not in response.text


# --- guessing -------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_wrong_code_is_404_and_says_nothing_more(chair: Member, client: httpx.AsyncClient) -> None:
    await make_code(chair)

    for typed in (WRONG, "not a code", "ABCD-EFG0"):
        response = await client.post("/api/lobby", json={"code": typed})
        assert_error(response, 404, "room_code_not_found")
        assert "set-cookie" not in response.headers
        assert "Initial conference" not in response.text
    assert_error(await client.post("/api/lobby", json={"code": ""}), 422, "invalid")
    assert_error(await client.post("/api/lobby", json={"code": "A" * 33}), 422, "invalid")


@pytest.mark.asyncio
async def test_ten_wrong_codes_from_one_address_then_429_until_the_window_passes(
    chair: Member, open_browser_at: OpenBrowserAt, clocks: Clocks
) -> None:
    code = await make_code(chair)
    guesser = await open_browser_at("198.51.100.7")
    for index in range(10):
        assert_error(await guesser.post("/api/lobby", json={"code": wrong_code(index)}), 404, "room_code_not_found")

    refused = await guesser.post("/api/lobby", json={"code": code})  # even the right code, now

    body = assert_error(refused, 429, "too_many_tries")
    assert refused.headers["retry-after"] == "600"
    assert refused.headers["cache-control"] == "no-store"
    assert "Wait 10 minutes" in body["error"]["message"]
    await arrive(await open_browser_at("198.51.100.8"), code)  # another address is not held back
    clocks.advance(599)
    assert_error(await guesser.post("/api/lobby", json={"code": code}), 429, "too_many_tries")
    clocks.advance(1)
    await arrive(guesser, code)


@pytest.mark.asyncio
async def test_right_codes_and_what_cannot_be_a_code_cost_no_try(chair: Member, open_browser_at: OpenBrowserAt) -> None:
    code = await make_code(chair)
    device = await open_browser_at("198.51.100.9")
    for _ in range(12):
        assert_error(await device.post("/api/lobby", json={"code": "O0O0-I1L1"}), 404, "room_code_not_found")
    for _ in range(12):
        await arrive(device, code)

    for index in range(10):
        assert_error(await device.post("/api/lobby", json={"code": wrong_code(index)}), 404, "room_code_not_found")
    assert_error(await device.post("/api/lobby", json={"code": code}), 429, "too_many_tries")


@pytest.mark.asyncio
async def test_an_ipv6_guesser_counts_by_its_64(chair: Member, open_browser_at: OpenBrowserAt) -> None:
    await make_code(chair)
    for index in range(10):
        guesser = await open_browser_at(f"2001:db8:1:2::{index + 1:x}")
        assert_error(await guesser.post("/api/lobby", json={"code": wrong_code(index)}), 404, "room_code_not_found")

    same_64 = await open_browser_at("2001:db8:1:2:ffff::1")
    other_64 = await open_browser_at("2001:db8:1:3::1")

    assert_error(await same_64.post("/api/lobby", json={"code": WRONG}), 429, "too_many_tries")
    assert_error(await other_64.post("/api/lobby", json={"code": WRONG}), 404, "room_code_not_found")


@pytest.mark.asyncio
async def test_sixty_wrong_codes_a_minute_across_the_server_then_429_for_everyone(
    chair: Member, open_browser_at: OpenBrowserAt, clocks: Clocks
) -> None:
    code = await make_code(chair)
    for index in range(60):
        guesser = await open_browser_at(f"192.0.2.{index // 10 + 1}")
        assert_error(await guesser.post("/api/lobby", json={"code": wrong_code(index)}), 404, "room_code_not_found")
        clocks.advance(0.5)

    newcomer = await open_browser_at("203.0.113.200")
    refused = await newcomer.post("/api/lobby", json={"code": code})

    body = assert_error(refused, 429, "too_many_tries")
    assert refused.headers["retry-after"] == "30"  # the first of the 60 leaves the minute in 30 s
    assert "on this server" in body["error"]["message"]
    clocks.advance(29.5)
    assert_error(await newcomer.post("/api/lobby", json={"code": code}), 429, "too_many_tries")
    clocks.advance(0.5)
    await arrive(newcomer, code)


def _request(client: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (client, 1), "headers": headers, "method": "POST", "path": "/"})


def test_the_address_is_the_connections_unless_it_is_a_trusted_proxy() -> None:
    none = parse_networks([])
    proxies = parse_networks(["10.0.0.0/24", " 127.0.0.1 "])

    assert client_address(_request("198.51.100.1", ["6.6.6.6"]), none) == "198.51.100.1", "no trust: header ignored"
    assert client_address(_request("198.51.100.1", ["6.6.6.6"]), proxies) == "198.51.100.1", "not from a proxy"
    assert client_address(_request("10.0.0.5", ["198.51.100.2"]), proxies) == "198.51.100.2"
    # A client cannot choose its address: only what the trusted proxies appended counts, from the right.
    assert client_address(_request("10.0.0.5", ["6.6.6.6, 198.51.100.3, 10.0.0.9"]), proxies) == "198.51.100.3"
    assert client_address(_request("10.0.0.5", ["6.6.6.6", "198.51.100.4"]), proxies) == "198.51.100.4"
    assert client_address(_request("10.0.0.5", []), proxies) == "10.0.0.5"
    assert client_address(_request("::ffff:198.51.100.5", []), none) == "198.51.100.5"
    assert client_address(_request("2001:db8::1", []), none) == "2001:db8::/64"


def test_a_wrong_trusted_proxy_stops_the_start() -> None:
    assert Settings().trusted_proxies == [], "no proxy is trusted unless named"
    with pytest.raises(ValidationError):
        Settings(trusted_proxies=["not an address"])


# --- over a real server: the session works on the websocket, and revoking closes it ---------------------------------


@pytest.mark.asyncio
async def test_an_admitted_tablet_opens_the_board_socket_until_revoked(server: ServerProcess) -> None:
    chair = await clients.create_meeting(server.url)
    chair_http = httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie})
    tablet_http = httpx.AsyncClient(base_url=server.url)
    async with chair_http, tablet_http:
        code = (await chair_http.post(f"/api/meetings/{chair.meeting_id}/room-code")).json()["code"]
        assert (await tablet_http.post("/api/lobby", json={"code": code})).status_code == 200
        [device] = (await chair_http.get(f"/api/meetings/{chair.meeting_id}/lobby")).json()
        admitted = await chair_http.post(
            f"/api/meetings/{chair.meeting_id}/lobby/{device['id']}/admit",
            json={"display_name": "Family tablet", "role": "family"},
        )
        participant_id = admitted.json()["id"]
        came_in = await tablet_http.get("/api/lobby")
        assert came_in.json() == {"state": "admitted", "meeting_id": chair.meeting_id}
        session = came_in.cookies[f"sos_{chair.meeting_id}"]
        tablet = clients.Member(chair.meeting_id, participant_id, "family", f"sos_{chair.meeting_id}={session}")

        socket = await clients.BoardClient.connect(server.ws_url, tablet)
        reply = await socket.request({"type": "add_card", "column": "working_well", "kind": "strength", "text": "Us"})
        assert reply["type"] == "ack", reply

        revoked = await chair_http.delete(f"/api/meetings/{chair.meeting_id}/participants/{participant_id}/invite")
        assert revoked.status_code == 204

        async def closed() -> None:
            with pytest.raises(ConnectionClosed):
                while True:
                    await socket.receive()

        await asyncio.wait_for(closed(), timeout=2)
        again = await tablet_http.get("/api/lobby")
        assert again.json()["state"] == "used"
