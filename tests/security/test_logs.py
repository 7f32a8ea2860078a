"""The server's log holds no personal data and no secret at its most verbose level (SOSBOARD_LOG_LEVEL=trace: every
ASGI message uvicorn sees), through a whole conference and through every kind of bad input; and nothing a user
sends can forge a log line or send escape codes to the terminal of whoever reads the log.

One `sosboard serve` at trace level: a conference with a canary child's name, canary card text and hostile words in
every field (tests/security/hostile_meeting.py), then bad frames, invalid ops, wrong tokens, CR/LF and ANSI escape
sequences in names, op ids, paths and headers. Then the whole log is searched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.security.hostile_meeting import HostileMeeting, build, finalise_with_addendum
from tests.support.clients import TLS, Connections, add_member

CHILD = "Zebedee-Canary-Child"
CARD = "Canary card words: Quenby hid the bottle"
FORGED = "ERROR:     forged-line"
ANSI = "\x1b[2J\x1b[31m"
"""Clear the screen, then red: what a log viewer in a terminal would obey."""


@dataclass
class Secrets:
    """Everything that must never reach the log."""

    words: list[str] = field(default_factory=list)


async def _conference(server: ServerProcess, secrets: Secrets) -> HostileMeeting:
    connections = Connections()
    try:
        meeting = await build(server, connections)
        chair = meeting.clients["chair"]
        for op in (
            {"type": "add_child", "child_id": "canary", "name": CHILD, "age": 5},
            {"type": "add_card", "column": "worries", "kind": "harm", "text": CARD},
        ):
            assert (await chair.request(op))["type"] == "ack"
        # A display name and an agency with line breaks and escape codes in them.
        forger = await add_member(server.url, meeting.chair, "professional", f"Eve\r\n{FORGED}{ANSI}")
        secrets.words.append(forger.cookie.split("=", 1)[1])
        forger_client = await connections.connect(server.ws_url, forger)
        await _bad_frames(forger_client.socket, secrets)
        await finalise_with_addendum(meeting)
    finally:
        await connections.close_all()
    secrets.words += [CHILD, CARD, *meeting.tokens.values()]
    secrets.words += [m.cookie.split("=", 1)[1] for m in (meeting.chair, meeting.professional, meeting.family)]
    secrets.words += list(meeting.texts.by_field.values())
    return meeting


async def _bad_frames(socket_: websockets.ClientConnection, secrets: Secrets) -> None:
    """Frames a broken or hostile client sends; each gets its answer (an error, or an ack where the server may
    drop what it does not know) and the room goes on."""
    canary = "Canary-in-a-bad-frame"
    secrets.words.append(canary)
    frames = [
        f"not json {canary}",
        json.dumps({"type": f"no_such_frame_{canary}"}),
        json.dumps({"type": "op", "op_id": f"x\r\n{FORGED}{ANSI}", "op": {"type": "add_card", "text": canary}}),
        json.dumps({"type": "op", "op_id": "o1", "op": {"type": "add_card", "column": "worries", "kind": "harm",
                                                       "text": canary * 60}}),  # too long
        json.dumps({"type": "op", "op_id": "o2", "op": {"type": "add_card", "column": "worries", "kind": "harm",
                                                       "text": "ok", "extra": canary}}),
        json.dumps({"type": "op", "op_id": "o3", "op": {"type": f"drop_table_{canary}"}}),
        json.dumps({"type": "op", "op_id": "o4", "op": {"type": "edit_card", "card_id": f"{canary}\r\n{FORGED}",
                                                       "base_version": 1, "text": canary}}),
    ]  # fmt: skip
    for frame in frames:
        await socket_.send(frame)
        answer = json.loads(await asyncio.wait_for(socket_.recv(), 10))
        while answer["type"] not in ("error", "ack"):  # presence and events may come first
            answer = json.loads(await asyncio.wait_for(socket_.recv(), 10))


async def _bad_requests(server: ServerProcess, meeting: HostileMeeting, secrets: Secrets) -> None:
    wrong_token = "CanaryWrongToken" + "x" * 24
    secrets.words.append(wrong_token)
    async with httpx.AsyncClient(base_url=server.url, verify=TLS) as http:
        assert (await http.post("/api/join", json={"token": wrong_token})).status_code == 404
        assert (await http.post("/api/join", content=f'{{"token": "{wrong_token}"')).status_code == 422
        assert (await http.post("/api/meetings", json={"title": CHILD * 20, "chair_name": CHILD})).status_code == 422
        board = f"/api/meetings/{meeting.meeting_id}/board"
        assert (await http.get(board, headers={"Cookie": f"sos_{meeting.meeting_id}={wrong_token}"})).status_code == 401
        assert (await http.get(f"/api/meetings/x%0D%0A{FORGED}%1B%5B2J/board")).status_code in (401, 404)
    # Raw bytes: a client library would refuse to send these headers.
    for raw in (
        f"GET /api/health HTTP/1.1\r\nHost: x\r\nUser-Agent: {ANSI}{CHILD}\r\n\r\n",
        f"GET /api/health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\r{FORGED}\r\n\r\n",
        f"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Note: {CHILD}\n{FORGED}\r\n\r\n",
        f"GET /api/meetings/{meeting.meeting_id}/board?{CHILD}={wrong_token} HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw_socket:
            raw_socket.sendall(raw.encode("latin-1"))
            assert raw_socket.recv(4096).startswith(b"HTTP/1.1 ")


async def _an_unexpected_failure(server: ServerProcess, database: Path, secrets: Secrets) -> None:
    """A statement the database cannot run (its table renamed under the server), for a meeting whose title holds a
    child's name: the failed statement's parameters are in the database error's message."""
    title = f"Initial conference for {CHILD} Unexpected"
    secrets.words.append(title)
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.execute("ALTER TABLE meetings RENAME TO meetings_away")
    try:
        async with httpx.AsyncClient(base_url=server.url, verify=TLS) as http:
            response = await http.post("/api/meetings", json={"title": title, "chair_name": "Alex Morgan"})
    finally:
        with contextlib.closing(sqlite3.connect(database)) as db:
            db.execute("ALTER TABLE meetings_away RENAME TO meetings")
    assert response.status_code == 500, response.text
    assert response.json() == {
        "error": {"code": "internal", "message": "Something went wrong on the server. Please try again in a moment."}
    }
    assert response.headers["cache-control"] == "no-store"
    assert "content-security-policy" in response.headers


@dataclass
class LoggedRun:
    log: str
    secrets: Secrets
    port: int


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedRun]:
    database = tmp_path_factory.mktemp("logs") / "board.db"
    server = ServerProcess(
        f"sqlite+aiosqlite:///{database}", ops_per_second="1000", ops_burst="1000", log_level="trace"
    ).start()
    secrets = Secrets()
    try:

        async def drive() -> None:
            meeting = await _conference(server, secrets)
            await _bad_requests(server, meeting, secrets)
            await _an_unexpected_failure(server, database, secrets)

        asyncio.run(drive())
    finally:
        server.stop()
    yield LoggedRun(server.log(), secrets, server.port)


def test_the_log_was_written_at_its_most_verbose(logged_run: LoggedRun) -> None:
    lines = logged_run.log.splitlines()
    assert sum(line.startswith("TRACE:") for line in lines) > 200, logged_run.log[-2000:]
    assert any("websocket" in line.lower() for line in lines)


def test_no_name_word_token_or_cookie_reaches_the_log(logged_run: LoggedRun) -> None:
    log = logged_run.log
    assert len(logged_run.secrets.words) > 40
    leaked = [word for word in logged_run.secrets.words if word.strip() and word.strip() in log]
    # Pieces too: an escaped or cut copy is a leak as well.
    pieces = ("Zebedee", "Quenby", "Canary", "alert(", "javascript:", "HYPERLINK", "gnp.exe")
    assert leaked == [] and [piece for piece in pieces if piece in log] == []


def test_an_unexpected_failure_is_logged_on_one_line_with_where_it_was_raised_and_not_its_message(
    logged_run: LoggedRun,
) -> None:
    """Its message held the failed statement's parameters (the meeting's title): left out, with the rest of every
    exception's message; its type and frames stay, for whoever mends it."""
    [line] = [line for line in logged_run.log.splitlines() if "Traceback" in line]
    assert line.startswith("ERROR:") and "unexpected failure answering POST /api/meetings" in line, line
    assert "sqlalchemy.exc.OperationalError at " in line and "app/store/meetings.py:" in line, line
    assert "no such table" not in line and "INSERT" not in line, line


def test_no_devices_address_reaches_the_log(logged_run: LoggedRun) -> None:
    """Every client here is 127.0.0.1 on a port of its own; the server's own address (the line saying where it
    listens) may stay."""
    log = logged_run.log
    assert "<address omitted>" in log  # uvicorn wrote its lines for the connections, without the address
    addresses = re.findall(r"127\.0\.0\.1:(\d+)|\('127\.0\.0\.1', (\d+)\)", log)
    assert {port for pair in addresses for port in pair if port} <= {str(logged_run.port)}


def test_nothing_a_user_sent_forges_a_line_or_reaches_the_terminal(logged_run: LoggedRun) -> None:
    assert "\x1b" not in logged_run.log  # an ESC byte; its escape, the four characters \x1b, is harmless
    assert "\r" not in logged_run.log
    levels = ("TRACE:", "DEBUG:", "INFO:", "WARNING:", "ERROR:", "CRITICAL:")
    assert [line for line in logged_run.log.splitlines() if not line.startswith(levels)] == []
    assert [line for line in logged_run.log.splitlines() if FORGED in line[:40]] == []
