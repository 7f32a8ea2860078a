"""An edit based on an old version is refused with the current card: nobody's words are silently overwritten."""

from __future__ import annotations

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting


@pytest.mark.asyncio
async def test_an_edit_based_on_an_old_version_is_refused_with_the_current_card(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    worker = await add_member(server.url, chair, "professional", "Social worker")
    alice = await BoardClient.connect(server.ws_url, chair)
    bob = await BoardClient.connect(server.ws_url, worker)
    added = await alice.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Bruise seen"})
    await bob.sync_to(added["seq"])
    card_id = added["card_id"]

    # Both start from version 1; Alice saves first.
    alice_edit = await alice.request(
        {"type": "edit_card", "card_id": card_id, "base_version": 1, "text": "Bruise on arm seen by school"}
    )
    assert alice_edit["type"] == "ack"
    bob_edit = await bob.request(
        {"type": "edit_card", "card_id": card_id, "base_version": 1, "text": "Bruise seen on Monday"}
    )

    assert bob_edit["type"] == "error" and bob_edit["code"] == "stale_version"
    assert bob_edit["current"]["text"] == "Bruise on arm seen by school"
    assert bob_edit["current"]["version"] == 2
    board = await board_over_http(server.url, chair)
    assert board["columns"]["worries"][0]["text"] == "Bruise on arm seen by school"

    # Bob, shown the current card, can build on it.
    retry = await bob.request(
        {
            "type": "edit_card",
            "card_id": card_id,
            "base_version": 2,
            "text": "Bruise on arm seen by school on Monday",
        }
    )
    assert retry["type"] == "ack"
    await alice.close()
    await bob.close()


@pytest.mark.asyncio
async def test_deleting_a_card_someone_just_changed_is_refused(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    client = await BoardClient.connect(server.ws_url, chair)
    added = await client.request({"type": "add_card", "column": "needs_to_happen", "kind": "next_step", "text": "x"})
    await client.request({"type": "edit_card", "card_id": added["card_id"], "base_version": 1, "text": "Call GP"})

    refused = await client.request({"type": "delete_card", "card_id": added["card_id"], "base_version": 1})

    assert refused["code"] == "stale_version" and refused["current"]["text"] == "Call GP"
    board = await board_over_http(server.url, chair)
    assert [c["text"] for c in board["columns"]["needs_to_happen"]] == ["Call GP"]
    await client.close()
