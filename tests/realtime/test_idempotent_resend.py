"""A client that resends an op (its ack was lost with the connection) gets the first result, never a second card."""

from __future__ import annotations

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

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


@pytest.mark.asyncio
async def test_an_op_id_sent_by_someone_else_is_refused_and_tells_them_nothing_of_the_first_op(
    server: ServerProcess,
) -> None:
    """Every event carries its op id, also to the family's tablet when it is about a card kept from them. Answered
    with the first ack, the tablet would learn that card's id."""
    chair = await create_meeting(server.url)
    mum = await add_member(server.url, chair, "family", "Mum")
    c = await BoardClient.connect(server.ws_url, chair)
    tablet = await BoardClient.connect(server.ws_url, mum)
    assert (await c.request({"type": "start_closed_part"}))["type"] == "ack"
    said = await c.request(
        {"type": "add_card", "card_id": "said-in-private", "column": "worries", "kind": "harm", "text": "Police"},
        op_id="private-op",
    )
    await tablet.sync_to(said["seq"])
    assert "private-op" in tablet.received_text() and "said-in-private" not in tablet.received_text()
    assert (await c.request({"type": "end_closed_part"}))["type"] == "ack"

    refused = await tablet.request(ADD, op_id="private-op")

    assert refused["type"] == "error" and refused["code"] == "invalid_operation", refused
    assert "said-in-private" not in tablet.received_text()
    again = await c.request({"type": "end_closed_part"}, op_id="private-op")  # its author still gets the first ack
    assert again == {
        "type": "ack",
        "op_id": "private-op",
        "seq": said["seq"],
        "card_id": "said-in-private",
        "duplicate": True,
    }
    board = await board_over_http(server.url, chair)
    assert [card["text"] for card in board["columns"]["working_well"]] == []
    await tablet.close()
    await c.close()


@pytest.mark.asyncio
async def test_a_refused_op_resent_unchanged_gets_the_same_refusal_even_once_it_could_pass(
    server: ServerProcess,
) -> None:
    """The person was told their edit was not saved: a resend (after a reconnect) must not save it after all."""
    chair = await create_meeting(server.url)
    worker = await add_member(server.url, chair, "professional", "Sam")
    c = await BoardClient.connect(server.ws_url, chair)
    w = await BoardClient.connect(server.ws_url, worker)
    edit = {"type": "edit_card", "card_id": "later", "base_version": 1, "text": "Changed"}
    refused = await w.request(edit, op_id="refused-once")
    assert refused["type"] == "error" and refused["code"] == "card_not_found"
    added = await c.request({"type": "add_card", "card_id": "later", "column": "worries", "kind": "harm", "text": "x"})
    assert added["type"] == "ack"
    await w.close()

    reconnected = await BoardClient.connect(server.ws_url, worker)
    again = await reconnected.request(edit, op_id="refused-once")

    assert again == refused
    board = await board_over_http(server.url, chair)
    assert [card["text"] for card in board["columns"]["worries"]] == ["x"]
    await reconnected.close()
    await c.close()
