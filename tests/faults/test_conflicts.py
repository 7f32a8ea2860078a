"""Eight people edit the same three cards as fast as they can, each from the version their screen shows: 1,000
edits that mostly collide. No lost update: every acknowledged edit is one step in its card's history (the version
count says so, and the text history holds its words), and every refused edit was told why, with the card as it is
now."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

PEOPLE = 8
CARDS = 3
EDITS = 1000


@dataclass
class Outcomes:
    acked: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


async def edit_as_fast_as_possible(
    client: BoardClient, person: int, card_ids: list[str], edits: int, outcomes: Outcomes
) -> None:
    rng = random.Random(person)
    for n in range(edits):
        card_id = rng.choice(card_ids)
        shown = client.card(card_id)
        assert shown is not None
        op = {"type": "edit_card", "card_id": card_id, "base_version": shown["version"], "text": f"p{person}-{n}"}
        reply = await client.request(op)
        if reply["type"] == "ack":
            outcomes.acked.append({**op, "seq": reply["seq"]})
        else:
            outcomes.refused.append((op, reply))


def card_histories(client: BoardClient) -> dict[str, list[tuple[int, str]]]:
    """(version, text) of every card, in the order this connection was told of them."""
    history: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for text in client.raw_frames:
        frame = json.loads(text)
        for change in frame.get("changes", []) if frame["type"] == "event" else []:
            if change["entity"] == "card" and change["value"] is not None:
                history[change["id"]].append((change["value"]["version"], change["value"]["text"]))
    return history


@pytest.mark.asyncio
async def test_a_thousand_colliding_edits_lose_no_update_and_every_refusal_says_why(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    members = [chair] + [await add_member(server.url, chair, "professional", f"Worker {n}") for n in range(1, PEOPLE)]
    clients = [await BoardClient.connect(server.ws_url, member) for member in members]
    card_ids = []
    for n in range(CARDS):
        added = await clients[0].request({"type": "add_card", "column": "worries", "kind": "harm", "text": f"c{n}"})
        card_ids.append(added["card_id"])
    for client in clients:
        await client.sync_to(CARDS)

    outcomes = Outcomes()
    await asyncio.gather(
        *(
            edit_as_fast_as_possible(client, person, card_ids, EDITS // PEOPLE, outcomes)
            for person, client in enumerate(clients)
        )
    )

    assert len(outcomes.acked) + len(outcomes.refused) == EDITS
    assert outcomes.refused, "nothing collided: the test did not test conflicts"
    board = await board_over_http(server.url, chair)
    cards = {card["id"]: card for card in board["columns"]["worries"]}
    watcher = clients[-1]
    await watcher.sync_to(board["seq"])
    history = card_histories(watcher)
    for n, card_id in enumerate(card_ids):
        acked = sorted((op for op in outcomes.acked if op["card_id"] == card_id), key=lambda op: op["seq"])
        # Each acked edit made exactly one new version, on top of the one before: none overwrote another unseen.
        assert [op["base_version"] for op in acked] == list(range(1, len(acked) + 1))
        assert cards[card_id]["version"] == 1 + len(acked)
        assert history[card_id] == [(1, f"c{n}")] + [(op["base_version"] + 1, op["text"]) for op in acked]
        assert cards[card_id]["text"] == (acked[-1]["text"] if acked else f"c{n}")
    for op, refusal in outcomes.refused:
        assert refusal["code"] == "stale_version", refusal
        current = refusal["current"]
        assert current["id"] == op["card_id"] and current["version"] > op["base_version"]
        # `current` is the card as it really was: a version its history went through, with that version's words.
        assert (current["version"], current["text"]) in history[op["card_id"]]
    assert board["seq"] == CARDS + len(outcomes.acked)
    print(
        f"\nconflicts: {EDITS} edits by {PEOPLE} people on {CARDS} cards: {len(outcomes.acked)} acked, "
        f"{len(outcomes.refused)} refused with stale_version and the current card, 0 lost"
    )
    for client in clients:
        await client.close()
