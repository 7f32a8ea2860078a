"""Presence over real websockets: soft presence (`editing`: who has which item open, never a lock, never shown
to the family or the room screen), and a device whose network died leaving everyone's list within seconds."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Connections, Member, add_member, create_meeting


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database: Path = tmp_path_factory.mktemp("presence") / "board.db"
    process = ServerProcess(f"sqlite+aiosqlite:///{database}").start()
    try:
        yield process
    finally:
        process.stop()


def editing_of(frame: dict[str, Any], participant_id: str) -> list[dict[str, Any]] | None:
    """What a presence frame says this participant has open; None when they are not in it."""
    entry = next((p for p in frame["present"] if p["participant_id"] == participant_id), None)
    return None if entry is None else entry["editing"]


def presence_where(participant_id: str, editing: list[dict[str, Any]] | None) -> Any:
    return lambda f: f["type"] == "presence" and editing_of(f, participant_id) == editing


@pytest.mark.asyncio
async def test_who_is_editing_what_reaches_the_professionals_but_never_the_family_or_the_wall(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    worker = await add_member(server.url, chair, "professional", "Sam Worker")
    mum = await add_member(server.url, chair, "family", "Mum")
    wall = await add_member(server.url, chair, "projector", "Room screen")
    c = await connections.connect(server.ws_url, chair)
    p = await connections.connect(server.ws_url, worker)
    f = await connections.connect(server.ws_url, mum)
    w = await connections.connect(server.ws_url, wall)
    card = (await p.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Late at night"}))[
        "card_id"
    ]
    worker_id = p.hello["you"]["participant_id"]
    mum_id = f.hello["you"]["participant_id"]

    opened = [{"entity": "card", "item_id": card}]
    await p.socket.send(json.dumps({"type": "editing", "entity": "card", "item_id": card}))
    await c.receive_until(presence_where(worker_id, opened))
    # Editing is never a lock: the chair changes the card while Sam has it open.
    reply = await c.request({"type": "edit_card", "card_id": card, "base_version": 1, "text": "Late, most nights"})
    assert reply["type"] == "ack", reply

    # The family's own editing is seen by the professionals (their words, being written).
    await f.socket.send(json.dumps({"type": "editing", "entity": "card", "item_id": card}))
    await p.receive_until(presence_where(mum_id, opened))

    # Closing the form clears it; a newcomer's hello says who has what open.
    await p.socket.send(json.dumps({"type": "editing", "entity": None}))
    await c.receive_until(presence_where(worker_id, []))
    late = await connections.connect(server.ws_url, chair)
    assert editing_of(late.hello, mum_id) == opened
    late_family = await connections.connect(server.ws_url, mum)
    assert all(entry["editing"] == [] for entry in late_family.hello["present"])

    # Someone who leaves takes what they had open with them.
    await f.close()
    await late_family.close()
    await c.receive_until(presence_where(mum_id, None))

    # The wall was here all along and heard every change of presence, with nobody's editing in any of them.
    await w.receive_until(presence_where(mum_id, None))
    for kept_out in (f, w, late_family):
        heard = [json.loads(text) for text in kept_out.raw_frames]
        lists = [p["editing"] for frame in heard if frame["type"] in ("hello", "presence") for p in frame["present"]]
        assert lists and all(editing == [] for editing in lists)


@pytest.mark.asyncio
async def test_an_editing_frame_that_names_half_an_item_is_refused_and_the_connection_goes_on(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    c = await connections.connect(server.ws_url, chair)
    for frame in (
        '{"type": "editing", "entity": "card"}',
        '{"type": "editing", "item_id": "c1"}',
        '{"type": "editing", "entity": "secret_drawer", "item_id": "c1"}',
        '{"type": "editing", "entity": "card", "item_id": "not an id!"}',
    ):
        await c.socket.send(frame)
        error = await c.receive_until(lambda f: f["type"] == "error")
        assert error["code"] == "invalid", (frame, error)
    reply = await c.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Still here"})
    assert reply["type"] == "ack"


async def _silent_device(server: ServerProcess, member: Member) -> asyncio.StreamWriter:
    """A device that joins and then goes silent, as a tablet whose network died does: the websocket handshake by
    hand over TCP, then nothing read or answered, not even the server's pings."""
    address = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/meetings/{member.meeting_id} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: {member.cookie}\r\n\r\n"
        ).encode()
    )
    status = await asyncio.wait_for(reader.readline(), 10)
    assert b" 101 " in status, status
    return writer


@pytest.mark.asyncio
async def test_a_device_whose_network_died_leaves_everyones_list_within_seconds(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    mum = await add_member(server.url, chair, "family", "Mum")
    c: BoardClient = await connections.connect(server.ws_url, chair)
    writer = await _silent_device(server, mum)
    try:
        here = await c.receive_until(lambda f: f["type"] == "presence" and len(f["present"]) == 2)
        mum_id = next(p["participant_id"] for p in here["present"] if p["display_name"] == "Mum")
        went_silent = time.monotonic()
        await c.receive_until(presence_where(mum_id, None))
        # Pings every 1.5 s, 2.5 s to answer: gone within 4 s of its last answer (plus the test's own latency).
        assert time.monotonic() - went_silent < 5.5
    finally:
        writer.close()
