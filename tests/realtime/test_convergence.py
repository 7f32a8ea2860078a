"""Several clients editing at once all end with the same board, equal to the server's, with gap-free seqs."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

COLUMNS = {
    "worries": ["harm", "complicating_factor", "grey_area"],
    "working_well": ["strength", "existing_safety", "grey_area"],
    "needs_to_happen": ["safety_goal", "next_step", "grey_area"],
}


def random_op(client: BoardClient, rng: random.Random, n: int) -> dict[str, object]:
    cards = [c for cards in client.columns.values() for c in cards]
    choice = rng.random()
    if not cards or choice < 0.4:
        column = rng.choice(list(COLUMNS))
        return {"type": "add_card", "column": column, "kind": rng.choice(COLUMNS[column]), "text": f"card {n}"}
    card = rng.choice(cards)
    if choice < 0.65:
        return {"type": "edit_card", "card_id": card["id"], "base_version": card["version"], "text": f"edit {n}"}
    if choice < 0.9:
        column = rng.choice(list(COLUMNS))
        kind = card["kind"] if card["kind"] in COLUMNS[column] else COLUMNS[column][0]
        return {
            "type": "move_card",
            "card_id": card["id"],
            "column": column,
            "position": rng.randrange(5),
            "kind": kind,
        }
    return {"type": "delete_card", "card_id": card["id"], "base_version": card["version"]}


@pytest.mark.asyncio
async def test_three_clients_interleaving_300_ops_converge_on_the_servers_board(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    members = [
        chair,
        await add_member(server.url, chair, "professional"),
        await add_member(server.url, chair, "family"),
    ]
    clients = [await BoardClient.connect(server.ws_url, m) for m in members]
    accepted_seqs: list[int] = []
    refusals: dict[str, int] = {}

    async def work(client: BoardClient, seed: int) -> None:
        rng = random.Random(seed)
        for n in range(100):
            reply = await client.request(random_op(client, rng, n))
            if reply["type"] == "ack":
                accepted_seqs.append(reply["seq"])
            else:
                # Races are expected (a card deleted or edited by someone else meanwhile; a family member
                # touching a professional's card): each is refused with a precise code, never half-applied.
                assert reply["code"] in {"stale_version", "card_not_found", "forbidden"}, reply
                refusals[reply["code"]] = refusals.get(reply["code"], 0) + 1

    await asyncio.gather(*(work(client, seed) for seed, client in enumerate(clients)))
    last = max(accepted_seqs)
    assert sorted(accepted_seqs) == list(range(1, last + 1)), "seqs must be gap-free and unique"
    for client in clients:
        await client.sync_to(last)
    server_board = await board_over_http(server.url, chair)
    assert server_board["seq"] == last
    for client in clients:
        assert client.columns == server_board["columns"]
        await client.close()
    assert len(accepted_seqs) + sum(refusals.values()) == 300
