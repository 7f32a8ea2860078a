"""Fail closed: the database goes away mid-meeting (a private PostgreSQL database that stops taking connections and
loses the ones it had; the shared server keeps running). The author of an edit is told `internal` (nothing saved,
resend it), with no ack, no event to anyone and no stack trace in the frame; pings still answer, the connection
stays; when the database is back the room carries on without a restart and the resend is saved exactly once."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import ServerProcess, postgres_admin
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

pytestmark = pytest.mark.postgres

ADD = {"type": "add_card", "column": "worries", "kind": "harm", "text": "Said while the database was away"}


async def database_goes_away(name: str) -> None:
    """New connections refused, and every open one cut, as when the database server or the network to it fails."""
    await postgres_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await postgres_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


async def database_comes_back(name: str) -> None:
    await postgres_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.mark.asyncio
async def test_with_the_database_gone_the_author_is_told_internal_and_the_room_recovers_without_a_restart(
    private_database: str,
) -> None:
    server = ServerProcess(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{private_database}").start()
    try:
        chair = await create_meeting(server.url)
        worker = await add_member(server.url, chair, "professional", "Teacher")
        author = await BoardClient.connect(server.ws_url, chair)
        bystander = await BoardClient.connect(server.ws_url, worker)
        before = await author.request({**ADD, "text": "Saved before"})
        await bystander.sync_to(before["seq"])

        await database_goes_away(private_database)
        op_id = uuid.uuid4().hex
        refused = await author.request(ADD, op_id)
        assert refused["type"] == "error" and refused["code"] == "internal" and refused["op_id"] == op_id
        assert "not be saved" in refused["message"] and "sent again" in refused["message"]
        for leak in ("Traceback", "asyncpg", "sqlalchemy", "postgres", "Error"):
            assert leak not in json.dumps(refused), leak
        # The connection stays: a ping is answered (its catch-up cannot read the op log, and says nothing of it).
        await author.socket.send('{"type": "ping"}')
        assert (await author.receive_until(lambda f: f["type"] == "pong"))["seq"] == before["seq"]

        await database_comes_back(private_database)
        resent = await author.request(ADD, op_id)
        assert resent["type"] == "ack" and not resent["duplicate"]
        assert resent["seq"] == before["seq"] + 1  # the refused attempt took no seq: nothing of it was saved
        await bystander.sync_to(resent["seq"])
        # Nothing reached the bystander for the refused attempt: its one event came with the resend's seq.
        events = [json.loads(t) for t in bystander.raw_frames if json.loads(t)["type"] == "event"]
        assert [e["seq"] for e in events] == [before["seq"], resent["seq"]]
        frames = [json.loads(t) for t in author.raw_frames]
        assert len([f for f in frames if f["type"] == "ack" and f["op_id"] == op_id]) == 1
        board = await board_over_http(server.url, chair)
        assert [c["text"] for c in board["columns"]["worries"]] == ["Saved before", ADD["text"]]
        assert bystander.columns == board["columns"]
        await author.close()
        await bystander.close()
        assert ADD["text"] not in server.log(), "the card's words reached the server log"
    finally:
        server.stop()
