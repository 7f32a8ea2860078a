"""Caps that keep one client from exhausting the server: meetings started per address and across the process (HTTP
429 `too_many_meetings` with Retry-After, nothing created), websocket connections per participant and per meeting
(refused at the upgrade, before accept, with HTTP 429 `too_many_connections` / `meeting_full`). Those already
connected carry on, and a place given back is taken again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Connections, Member, add_member, board_over_http, create_meeting

ADD = {"type": "add_card", "column": "worries", "kind": "harm", "text": "Still working"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database: Path = tmp_path_factory.mktemp("caps") / "board.db"
    process = ServerProcess(
        f"sqlite+aiosqlite:///{database}",
        connections_per_participant="3",
        connections_per_meeting="5",
        meetings_per_address_per_hour="3",
        meetings_per_minute="6",
        trusted_proxies='["127.0.0.1"]',  # so that the test can speak from several addresses
    ).start()
    try:
        yield process
    finally:
        process.stop()


async def start_meeting(server: ServerProcess, address: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(
            "/api/meetings",
            json={"title": "Conference", "chair_name": "Chair"},
            headers={"X-Forwarded-For": address},
        )


async def refused_upgrade(server: ServerProcess, member: Member) -> tuple[int, dict[str, str]]:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            f"{server.ws_url}/ws/meetings/{member.meeting_id}",
            additional_headers={"Cookie": member.cookie, "Origin": server.url},
        )
    response = refused.value.response
    return response.status_code, json.loads(response.body or b"{}")["error"]


@pytest.mark.asyncio
async def test_meetings_started_are_capped_per_address_and_across_the_server(server: ServerProcess) -> None:
    started = [await start_meeting(server, "203.0.113.7") for _ in range(3)]
    assert [r.status_code for r in started] == [201, 201, 201]

    refused = await start_meeting(server, "203.0.113.7")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_meetings"
    assert "from this address" in refused.json()["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "set-cookie" not in refused.headers and "meeting" not in refused.json()  # nothing was created

    # Other addresses still may, until the server-wide cap (6 a minute) is reached by all of them together.
    others = [await start_meeting(server, f"198.51.100.{n}") for n in range(1, 5)]
    assert [r.status_code for r in others] == [201, 201, 201, 429]
    assert "on this server" in others[-1].json()["error"]["message"]


@pytest.mark.asyncio
async def test_connections_are_capped_per_participant_and_per_meeting_before_accept(
    connections: Connections, sqlite_url: str
) -> None:
    # A server of its own: the other test spends this one's meeting starts.
    process = ServerProcess(sqlite_url, connections_per_participant="3", connections_per_meeting="5").start()
    try:
        chair = await create_meeting(process.url)
        worker = await add_member(process.url, chair, "professional", "Teacher")
        parent = await add_member(process.url, chair, "family", "Parent")
        chairs = [await connections.connect(process.ws_url, chair) for _ in range(3)]

        status, error = await refused_upgrade(process, chair)
        assert (status, error["code"]) == (429, "too_many_connections")

        await connections.connect(process.ws_url, worker)
        await connections.connect(process.ws_url, worker)
        status, error = await refused_upgrade(process, parent)
        assert (status, error["code"]) == (429, "meeting_full")

        # Those connected carry on.
        reply = await chairs[0].request(ADD)
        assert reply["type"] == "ack"
        # A place given back is taken again.
        await chairs[1].close()
        await chairs[0].receive_until(
            lambda f: (
                f["type"] == "presence"
                and any(p["participant_id"] == chair.participant_id and p["connections"] == 2 for p in f["present"])
            )
        )
        later: BoardClient = await connections.connect(process.ws_url, parent)
        assert later.hello["seq"] == reply["seq"]
        board = await board_over_http(process.url, chair)
        assert [c["text"] for c in board["columns"]["worries"]] == [ADD["text"]]
    finally:
        process.stop()
