"""A client that resends an op (its ack was lost with the connection) gets the first result, never a second card."""

from __future__ import annotations

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, board_over_http, create_meeting

ADD = {"type": "add_card", "column": "working_well", "kind": "strength", "text": "Gran takes them to school"}


@pytest.mark.asyncio
async def test_resending_an_op_returns_the_first_ack_and_adds_nothing(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    client = await BoardClient.connect(server.ws_url, chair)
    first = await client.request(ADD, op_id="resend-me")
    assert first["type"] == "ack" and not first["duplicate"]

    again = await client.request(ADD, op_id="resend-me")

    assert again == {**first, "duplicate": True}
    board = await board_over_http(server.url, chair)
    assert [card["text"] for card in board["columns"]["working_well"]] == ["Gran takes them to school"]
    assert board["seq"] == first["seq"]
    await client.close()


@pytest.mark.asyncio
async def test_a_resend_on_a_new_connection_is_still_recognised(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    client = await BoardClient.connect(server.ws_url, chair)
    first = await client.request(ADD, op_id="sent-before-drop")
    await client.close()

    reconnected = await BoardClient.connect(server.ws_url, chair, since=0)
    again = await reconnected.request(ADD, op_id="sent-before-drop")

    assert again["duplicate"] is True and again["seq"] == first["seq"] and again["card_id"] == first["card_id"]
    board = await board_over_http(server.url, chair)
    assert len(board["columns"]["working_well"]) == 1
    await reconnected.close()
