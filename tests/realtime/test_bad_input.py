"""Bad input gets its documented error or close code, and the rest of the meeting carries on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Member, add_member, board_over_http, create_meeting

ADD = {"type": "add_card", "column": "worries", "kind": "harm", "text": "Missed school 8 days"}


@dataclass
class Room:
    chair: Member
    family: Member
    bystander: BoardClient
    offender: BoardClient


@pytest_asyncio.fixture
async def room(server: ServerProcess) -> AsyncIterator[Room]:
    chair = await create_meeting(server.url)
    family = await add_member(server.url, chair, "family", "Parent")
    bystander = await BoardClient.connect(server.ws_url, chair)
    offender = await BoardClient.connect(server.ws_url, family)
    yield Room(chair, family, bystander, offender)
    await bystander.close()
    await offender.close()


async def assert_room_carries_on(server: ServerProcess, room: Room) -> None:
    """The bystander can still add a card, and it reaches the board."""
    reply = await room.bystander.request(ADD)
    assert reply["type"] == "ack"
    board = await board_over_http(server.url, room.chair)
    assert any(card["id"] == reply["card_id"] for card in board["columns"]["worries"])


async def raw_error(client: BoardClient, text: str) -> dict[str, object]:
    await client.socket.send(text)
    return await client.receive_until(lambda f: f["type"] == "error")


@pytest.mark.asyncio
async def test_malformed_json_gets_malformed_and_the_connection_stays(server: ServerProcess, room: Room) -> None:
    error = await raw_error(room.offender, "{not json")
    assert error["code"] == "malformed" and error["message"] == "That message was not valid JSON."
    assert (await room.offender.request(ADD))["type"] == "ack"
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_unknown_frame_type_and_unknown_operation_get_unknown_type(server: ServerProcess, room: Room) -> None:
    assert (await raw_error(room.offender, json.dumps({"type": "shout"})))["code"] == "unknown_type"
    unknown_op = json.dumps({"type": "op", "op_id": "x1", "op": {"type": "rewrite_history"}})
    error = await raw_error(room.offender, unknown_op)
    assert error["code"] == "unknown_type" and error["op_id"] == "x1"
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_over_long_card_text_is_refused_as_invalid_and_nothing_is_saved(
    server: ServerProcess, room: Room
) -> None:
    reply = await room.offender.request({**ADD, "text": "x" * 1001})
    assert reply["type"] == "error" and reply["code"] == "invalid"
    assert "text" in str(reply["message"])
    board = await board_over_http(server.url, room.chair)
    assert board["seq"] == 0
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_a_number_sent_as_text_or_true_is_invalid_and_edits_nothing(server: ServerProcess, room: Room) -> None:
    """The published schema says `integer`: "1", 1.0 and true are not the version the person saw."""
    added = await room.offender.request(ADD)
    for version in ("1", 1.0, True):
        edit = {"type": "edit_card", "card_id": added["card_id"], "base_version": version, "text": "Changed"}
        reply = await room.offender.request(edit)
        assert reply["type"] == "error" and reply["code"] == "invalid", (version, reply)
        assert "base_version" in str(reply["message"])
    board = await board_over_http(server.url, room.chair)
    assert [card["text"] for card in board["columns"]["worries"]] == [ADD["text"]]
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_an_oversize_frame_closes_that_connection_with_1009(server: ServerProcess, room: Room) -> None:
    await room.offender.socket.send(json.dumps({**ADD, "text": "x" * 70_000}))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await room.offender.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_a_family_member_cannot_change_a_professionals_card(server: ServerProcess, room: Room) -> None:
    added = await room.bystander.request(ADD)
    reply = await room.offender.request(
        {"type": "edit_card", "card_id": added["card_id"], "base_version": 1, "text": "That never happened"}
    )
    assert reply["type"] == "error" and reply["code"] == "forbidden"
    board = await board_over_http(server.url, room.chair)
    assert board["columns"]["worries"][0]["text"] == ADD["text"]
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_a_projector_cannot_write(server: ServerProcess, room: Room) -> None:
    projector = await BoardClient.connect(server.ws_url, await add_member(server.url, room.chair, "projector"))
    reply = await projector.request(ADD)
    assert reply["type"] == "error" and reply["code"] == "forbidden"
    await projector.close()
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_twenty_bad_frames_in_a_row_close_the_connection_with_4429(server: ServerProcess, room: Room) -> None:
    for _ in range(20):
        await room.offender.socket.send("garbage")
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await room.offender.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
    await assert_room_carries_on(server, room)


async def handshake_status(server: ServerProcess, meeting_id: str, cookie: str | None, origin: str) -> int:
    headers = {"Origin": origin}
    if cookie:
        headers["Cookie"] = cookie
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(f"{server.ws_url}/ws/meetings/{meeting_id}", additional_headers=headers)
    return refused.value.response.status_code


@pytest.mark.asyncio
async def test_no_cookie_is_refused_at_the_handshake_with_401(server: ServerProcess, room: Room) -> None:
    assert await handshake_status(server, room.chair.meeting_id, None, server.url) == 401
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_a_foreign_origin_is_refused_at_the_handshake_with_403(server: ServerProcess, room: Room) -> None:
    status = await handshake_status(server, room.chair.meeting_id, room.chair.cookie, "https://evil.example")
    assert status == 403
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_a_session_for_one_meeting_does_not_open_another(server: ServerProcess, room: Room) -> None:
    other = await create_meeting(server.url, title="Another family")
    # The cookie of meeting A presented (under meeting B's cookie name) for meeting B.
    value = room.chair.cookie.split("=", 1)[1]
    status = await handshake_status(server, other.meeting_id, f"sos_{other.meeting_id}={value}", server.url)
    assert status == 401
    assert await handshake_status(server, "not-a-meeting", room.chair.cookie, server.url) == 404  # meeting_not_found
    await assert_room_carries_on(server, room)


@pytest.mark.asyncio
async def test_ops_over_the_rate_limit_are_refused_with_a_retry_time(sqlite_url: str) -> None:
    limited = ServerProcess(sqlite_url, ops_per_second="2", ops_burst="3").start()
    try:
        chair = await create_meeting(limited.url)
        client = await BoardClient.connect(limited.ws_url, chair)
        replies = [await client.request({**ADD, "text": f"card {n}"}) for n in range(6)]
        assert [r["type"] for r in replies[:3]] == ["ack", "ack", "ack"]
        limited_replies = [r for r in replies if r["type"] == "error"]
        assert limited_replies and all(r["code"] == "rate_limited" for r in limited_replies)
        assert all(int(r["retry_after_ms"]) > 0 for r in limited_replies)
        board = await board_over_http(limited.url, chair)
        assert len(board["columns"]["worries"]) == 6 - len(limited_replies)
        await client.close()
    finally:
        limited.stop()


@pytest.mark.asyncio
async def test_json_that_is_not_an_object_gets_malformed(server: ServerProcess, room: Room) -> None:
    assert (await raw_error(room.offender, "[1, 2]"))["code"] == "malformed"
    assert (await raw_error(room.offender, '"add a card"'))["code"] == "malformed"
    await assert_room_carries_on(server, room)
