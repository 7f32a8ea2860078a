"""A client that reconnects with the last seq it saw gets exactly what it missed, or a snapshot if far behind."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, board_over_http, create_meeting


async def add(client: BoardClient, text: str) -> dict[str, object]:
    return await client.request({"type": "add_card", "column": "needs_to_happen", "kind": "next_step", "text": text})


@pytest.mark.asyncio
async def test_reconnecting_with_since_brings_exactly_the_missed_events(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    writer = await BoardClient.connect(server.ws_url, chair)
    reader = await BoardClient.connect(server.ws_url, chair)
    await add(writer, "Core group on Tuesday")
    await reader.sync_to(1)
    await reader.close()  # the tablet's wifi drops
    await add(writer, "Dad to call the GP")
    await add(writer, "School to share attendance weekly")

    back = await BoardClient.connect(server.ws_url, chair, since=reader.seq)

    assert back.hello["board"] is None
    assert [e["seq"] for e in back.hello["missed"]] == [2, 3]
    back.resume_from(reader)
    board = await board_over_http(server.url, chair)
    assert back.columns == board["columns"]
    assert [c["text"] for c in back.columns["needs_to_happen"]] == [
        "Core group on Tuesday",
        "Dad to call the GP",
        "School to share attendance weekly",
    ]
    await writer.close()
    await back.close()


@pytest.mark.asyncio
async def test_a_client_too_far_behind_gets_a_snapshot(sqlite_url: str) -> None:
    small_replay = ServerProcess(sqlite_url, replay_limit="3", ops_per_second="1000", ops_burst="1000").start()
    try:
        chair = await create_meeting(small_replay.url)
        writer = await BoardClient.connect(small_replay.ws_url, chair)
        for n in range(5):
            await add(writer, f"step {n}")

        back = await BoardClient.connect(small_replay.ws_url, chair, since=0)

        assert back.hello["missed"] is None and back.hello["seq"] == 5
        assert [c["text"] for c in back.hello["board"]["columns"]["needs_to_happen"]] == [f"step {n}" for n in range(5)]
        await writer.close()
        await back.close()
    finally:
        small_replay.stop()


@pytest.mark.asyncio
async def test_a_client_claiming_a_future_seq_gets_a_snapshot(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    writer = await BoardClient.connect(server.ws_url, chair)
    await add(writer, "only card")

    confused = await BoardClient.connect(server.ws_url, chair, since=99)

    assert confused.hello["board"] is not None and confused.hello["seq"] == 1
    await writer.close()
    await confused.close()


@pytest.mark.asyncio
async def test_a_stopping_server_closes_every_board_with_going_away_and_a_restart_resumes_them(
    server: ServerProcess,
) -> None:
    """docs/protocol.md: the server stopping (a deploy) closes with 1001, on which a client reconnects with `since`."""
    chair = await create_meeting(server.url)
    client = await BoardClient.connect(server.ws_url, chair)
    ack = await client.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Before the deploy"})

    await asyncio.to_thread(server.stop)
    await client.socket.wait_closed()

    assert client.socket.close_code == 1001, (client.socket.close_code, client.socket.close_reason)
    server.start()
    resumed = await BoardClient.connect(server.ws_url, chair, since=ack["seq"])
    assert resumed.hello["seq"] == ack["seq"] and resumed.hello["missed"] == []
    await resumed.close()
