"""What people at the screens see of the group commit: past the commit queue's bound an edit is refused at once
with `busy` and a retry-after, and saved once when resent; a group whose COMMIT fails gets `internal` for every
edit in it and nothing shows on anyone's board. Real op log on SQLite, fake channels; and once through the real
server with its setting."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from app.domain.meeting import Participant
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import RETRY_AFTER_SECONDS, CommittedOp, OpLog
from realtime.broker import MemoryBroker
from realtime.room import Room
from tests.conftest import ServerProcess
from tests.realtime.fakes import WAIT, FakeChannel
from tests.realtime.test_room import LIMITS, serving
from tests.support.clients import Connections, add_member, board_over_http, create_meeting
from tests.support.writes import commit_breaker, until, writes_held

pytestmark = pytest.mark.asyncio
HARM = {"type": "add_card", "column": "worries", "kind": "harm"}


def add(op_id: str, text: str) -> dict[str, Any]:
    return {"type": "op", "op_id": op_id, "op": {"type": "add_card", "column": "worries", "kind": "harm", "text": text}}


@pytest_asyncio.fixture
async def meeting(tmp_path: Path) -> AsyncIterator[tuple[Database, Participant]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'room.db'}")
    await db.run_migrations()
    signed_in, _ = await Meetings(db, 1).create("Conference", "Chair")
    yield db, signed_in.participant
    await db.dispose()


@contextlib.asynccontextmanager
async def room_of(oplog: OpLog, chair: Participant) -> AsyncIterator[tuple[Room, list[FakeChannel]]]:
    """A room with three screens: two that edit and one that only watches."""
    async with Room(chair.meeting_id, oplog, MemoryBroker(), LIMITS) as room:
        screens = [FakeChannel(), FakeChannel(), FakeChannel()]
        async with serving(room, screens[0], chair), serving(room, screens[1], chair), serving(room, screens[2], chair):
            yield room, screens


async def test_past_the_bound_an_edit_is_told_to_retry_and_saved_once_when_resent(
    meeting: tuple[Database, Participant],
) -> None:
    db, chair = meeting
    oplog = OpLog(db, max_waiting=1)
    async with room_of(oplog, chair) as (_room, (first, second, watcher)):
        async with writes_held(db, chair.meeting_id):
            first.type(add("from-first", "Bruise on arm"))
            await until(lambda: oplog.waiting == 1, "the first edit waiting for its commit")
            second.type(add("from-second", "Missed school twice"))
            refusal = await second.next("error")
            assert (refusal["code"], refusal["op_id"]) == ("busy", "from-second")
            assert RETRY_AFTER_SECONDS[0] * 1000 <= refusal["retry_after_ms"] <= RETRY_AFTER_SECONDS[1] * 1000
            assert "not saved" in refusal["message"]
        assert (await first.next("ack"))["seq"] == 1

        # the second screen resends the same op after the wait, as frontend/js/connection.js does
        second.type(add("from-second", "Missed school twice"))
        ack = await second.next("ack")
        assert (ack["seq"], ack["duplicate"]) == (2, False)
        events = [await watcher.next("event") for _ in range(2)]
        assert [(e["seq"], e["op_id"]) for e in events] == [(1, "from-first"), (2, "from-second")]
    assert [c.text for c in (await oplog.board(chair.meeting_id)).cards()] == ["Bruise on arm", "Missed school twice"]


async def test_a_group_whose_commit_fails_gets_internal_for_every_edit_and_shows_nothing(
    meeting: tuple[Database, Participant],
) -> None:
    db, chair = meeting
    oplog = OpLog(db)
    async with room_of(oplog, chair) as (_room, (first, second, watcher)):
        async with commit_breaker(db) as marker:
            async with writes_held(db, chair.meeting_id):
                first.type(add("from-first", "Bruise on arm"))
                second.type(add("from-second", f"Breaks the commit {marker}"))
                await until(lambda: oplog.waiting == 2, "both edits waiting for their commit")
            for screen, op_id in ((first, "from-first"), (second, "from-second")):
                error = await screen.next("error")
                assert (error["code"], error["op_id"]) == ("internal", op_id)
        assert await oplog.board(chair.meeting_id) == await OpLog(db).board(chair.meeting_id)
        assert (await oplog.board(chair.meeting_id)).seq == 0

        # resent once the database takes them: each saved once, and the watcher sees only these
        first.type(add("from-first", "Bruise on arm"))
        assert (await first.next("ack"))["seq"] == 1
        second.type(add("from-second", "Missed school twice"))
        assert (await second.next("ack"))["seq"] == 2
        events = [await watcher.next("event") for _ in range(2)]
        assert [(e["seq"], e["op_id"]) for e in events] == [(1, "from-first"), (2, "from-second")]


async def test_a_server_past_its_commit_queue_bound_says_busy_and_saves_the_resend_once(tmp_path: Path) -> None:
    """End to end: SOSBOARD_COMMIT_QUEUE_OPS=1 and SQLite's write lock held by another process, so the first edit
    waits for the lock and the second, from another screen, is over the bound."""
    path = tmp_path / "board.db"
    server = ServerProcess(f"sqlite+aiosqlite:///{path}", commit_queue_ops="1").start()
    connections = Connections()
    try:
        chair = await create_meeting(server.url)
        worker = await add_member(server.url, chair, "professional", "Social worker")
        screens = [await connections.connect(server.ws_url, chair), await connections.connect(server.ws_url, worker)]
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")
        try:
            texts = ["Bruise on arm", "Missed school twice"]
            op_ids = [await screen.send_op(HARM | {"text": text}) for screen, text in zip(screens, texts, strict=True)]
            answers = [
                asyncio.ensure_future(screen.receive_until(lambda f, i=i: f.get("op_id") == i))
                for screen, i in zip(screens, op_ids, strict=True)
            ]
            done, _ = await asyncio.wait(answers, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
            [refused] = done  # whichever came second is answered at once; the first waits for the lock
            refusal = refused.result()
            assert (refusal["type"], refusal["code"]) == ("error", "busy") and refusal["retry_after_ms"] >= 250
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        loser = answers.index(refused)
        winner = 1 - loser
        assert (await answers[winner])["type"] == "ack"

        resent = await screens[loser].request(HARM | {"text": texts[loser]}, op_ids[loser])
        assert (resent["type"], resent["seq"], resent["duplicate"]) == ("ack", 2, False)
        board = await board_over_http(server.url, chair)
        assert sorted(card["text"] for card in board["columns"]["worries"]) == sorted(texts)
    finally:
        await connections.close_all()
        server.stop()


async def test_a_screen_whose_edit_waits_long_for_its_commit_keeps_its_connection_and_its_pings_answered(
    tmp_path: Path,
) -> None:
    """A commit that takes longer than the server's keepalive (SQLite's write lock held by another process for
    several ping intervals): the writer's frames are still read, so its pings get their pongs while the edit waits,
    the transport's pings get theirs (no 1011 close), and the edit is saved and acked once the lock is free."""
    path = tmp_path / "board.db"
    server = ServerProcess(
        f"sqlite+aiosqlite:///{path}",
        ws_ping_seconds="0.2",
        ws_ping_timeout_seconds="0.4",
        control_frames_per_second="1000",  # this screen asks as fast as it is answered
        control_frames_burst="1000",
    ).start()
    connections = Connections()
    try:
        chair = await create_meeting(server.url)
        screen = await connections.connect(server.ws_url, chair)
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")
        try:
            op_id = await screen.send_op(HARM | {"text": "Bruise on arm"})
            # Hold the lock for five keepalive rounds (ping plus its timeout), asking the board how it is meanwhile.
            loop = asyncio.get_running_loop()
            until_free, pongs = loop.time() + 5 * 0.6, 0
            while loop.time() < until_free:
                await screen.socket.send('{"type":"ping"}')
                frame = await screen.receive_until(lambda f: f["type"] in ("pong", "ack", "error"))
                assert frame == {"type": "pong", "seq": 0}, frame  # answered while the edit still waits
                pongs += 1
                await asyncio.sleep(0.1)  # the page's heartbeat, ten times its pace: not waiting for anything
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        assert pongs >= 5
        ack = await screen.receive_until(lambda f: f.get("op_id") == op_id)
        assert (ack["type"], ack["seq"]) == ("ack", 1)
        # the same connection goes on
        assert (await screen.request(HARM | {"text": "Missed school twice"}))["seq"] == 2
        board = await board_over_http(server.url, chair)
        assert [card["text"] for card in board["columns"]["worries"]] == ["Bruise on arm", "Missed school twice"]
    finally:
        await connections.close_all()
        server.stop()


async def test_a_lagging_process_refuses_an_edit_at_once_answers_pings_and_takes_the_resend_once_caught_up(
    meeting: tuple[Database, Participant],
) -> None:
    db, chair = meeting
    lag = [0.3]  # the process's event loop far behind: nothing is taken
    oplog = OpLog(db, loop_lag=lambda: lag[0])
    async with room_of(oplog, chair) as (_room, (screen, _other, watcher)):
        screen.type(add("while-behind", "Bruise on arm"))
        refusal = await screen.next("error")
        assert (refusal["code"], refusal["op_id"]) == ("busy", "while-behind")
        assert refusal["retry_after_ms"] >= 600  # at least twice the lag
        screen.type({"type": "ping"})
        assert (await screen.next("pong"))["seq"] == 0
        assert oplog.waiting == 0 and (await oplog.board(chair.meeting_id)).seq == 0

        lag[0] = 0.0  # caught up: the resend is taken, once
        screen.type(add("while-behind", "Bruise on arm"))
        assert (await screen.next("ack"))["seq"] == 1
        assert [(e["seq"], e["op_id"]) for e in [await watcher.next("event")]] == [(1, "while-behind")]


async def test_edits_sent_together_are_queued_as_they_come_and_those_past_the_bound_refused_at_once(
    meeting: tuple[Database, Participant],
) -> None:
    # A screen (or a client resending a backlog) sends several edits while the commits are slow: each is queued in
    # the op log as it is read, so the bound counts them all, and the one past it hears `busy` at once instead of
    # waiting unseen behind the others.
    db, chair = meeting
    oplog = OpLog(db, max_waiting=2)
    async with room_of(oplog, chair) as (_room, (screen, _other, watcher)):
        async with writes_held(db, chair.meeting_id):
            for n in range(3):
                screen.type(add(f"edit-{n}", f"Worry {n}"))
            refusal = await screen.next("error")
            assert (refusal["code"], refusal["op_id"]) == ("busy", "edit-2")
            assert oplog.waiting == 2
        acks = [await screen.next("ack") for _ in range(2)]
        assert [(a["op_id"], a["seq"]) for a in acks] == [("edit-0", 1), ("edit-1", 2)]
        screen.type(add("edit-2", "Worry 2"))  # resent after the wait: saved once, after the others
        assert (await screen.next("ack"))["seq"] == 3
        events = [await watcher.next("event") for _ in range(3)]
        assert [e["op_id"] for e in events] == ["edit-0", "edit-1", "edit-2"]


async def test_while_the_process_refuses_edits_a_ping_is_answered_without_reading_the_op_log(
    meeting: tuple[Database, Participant],
) -> None:
    # Past capacity, a ping's catch-up read would take a pooled connection the commits are waiting for; the room
    # still hears its events from the broker, and catches up on the first ping after the pressure.
    db, chair = meeting
    lag = [0.15]
    oplog = OpLog(db, loop_lag=lambda: lag[0])
    reads: list[int] = []
    since = oplog.since

    async def counted_since(meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
        reads.append(after_seq)
        return await since(meeting_id, after_seq, limit)

    oplog.since = counted_since  # type: ignore[method-assign]
    async with room_of(oplog, chair) as (_room, (screen, _other, _watcher)):
        screen.type({"type": "ping"})
        assert (await screen.next("pong"))["seq"] == 0
        assert reads == []
        lag[0] = 0.0
        screen.type({"type": "ping"})
        assert (await screen.next("pong"))["seq"] == 0
        assert reads == [0]
