"""SIGKILL the server while clients are sending: after a restart every acknowledged op is there exactly once,
ops that were in flight can be resent safely, and reconnecting clients converge on the server's board."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Member, add_member, board_over_http, create_meeting

ACKS_BEFORE_KILL = 90


@pytest.mark.asyncio
async def test_acknowledged_ops_survive_sigkill_exactly_once_and_clients_converge(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    members: list[Member] = [
        chair,
        await add_member(server.url, chair, "professional", "Teacher"),
        await add_member(server.url, chair, "family", "Parent"),
    ]
    clients = [await BoardClient.connect(server.ws_url, member) for member in members]
    acked: dict[str, str] = {}  # op id -> card id
    in_flight: dict[int, tuple[str, dict[str, Any]]] = {}
    enough = asyncio.Event()

    async def keep_sending(index: int, client: BoardClient) -> None:
        for n in range(10_000):
            op = {"type": "add_card", "column": "working_well", "kind": "strength", "text": f"c{index}-{n}"}
            op_id = uuid.uuid4().hex
            in_flight[index] = (op_id, op)
            try:
                reply = await client.request(op, op_id)
            except ConnectionClosed:
                return
            assert reply["type"] == "ack", reply
            acked[op_id] = reply["card_id"]
            del in_flight[index]
            if len(acked) >= ACKS_BEFORE_KILL:
                enough.set()

    senders = [asyncio.create_task(keep_sending(i, c)) for i, c in enumerate(clients)]
    await enough.wait()
    server.kill()
    await asyncio.gather(*senders)
    assert len(acked) >= ACKS_BEFORE_KILL

    server.start()
    resumed: list[BoardClient] = []
    for member, before in zip(members, clients, strict=True):
        client = await BoardClient.connect(server.ws_url, member, since=before.seq)
        client.resume_from(before)
        resumed.append(client)
    # What was in flight at the kill may or may not have been committed: resending with the same op id is safe.
    for index, (op_id, op) in in_flight.items():
        reply = await resumed[index].request(op, op_id)
        assert reply["type"] == "ack"
        acked[op_id] = reply["card_id"]

    board = await board_over_http(server.url, chair)
    card_ids = [card["id"] for card in board["columns"]["working_well"]]
    assert len(card_ids) == len(set(card_ids)), "a card appears twice"
    assert set(acked.values()) <= set(card_ids), "an acknowledged card was lost"
    assert board["seq"] == len(card_ids), "seqs are gap-free: one per card added"
    for client in resumed:
        await client.sync_to(board["seq"])
        assert client.columns == board["columns"]
        await client.close()
