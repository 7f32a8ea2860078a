"""The access suite's world: a real server, a meeting full of canaries (words that must never reach someone who may
not see them), one signed-in person per role, and a raw websocket upgrade that returns the server's bytes.

Every canary is a word found nowhere else in the product, so finding one in a response is proof of a leak."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Member, add_member, create_meeting

TITLE = "Quokkatitle conference"
CHAIR = "Zebedee Chairperson"
CARD = "Wombatcard: the kitchen cupboards were empty"
NAMES = {
    "professional": "Axolotl Socialworker",
    "family": "Pangolin Parent",
    "projector": "Narwhal Roomscreen",
    "observer": "Okapi Minutetaker",
}
ROLES = ("chair", *NAMES)
CANARIES = (TITLE, CHAIR, CARD, *NAMES.values())
"""What no refused or unauthenticated request may ever carry back."""


def canaries_in(data: bytes | str) -> list[str]:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return [canary for canary in CANARIES if canary in text]


def start_server(database: Path, **settings: str) -> ServerProcess:
    return ServerProcess(
        f"sqlite+aiosqlite:///{database}",
        ops_per_second="1000",
        ops_burst="1000",
        control_frames_per_second="1000",
        control_frames_burst="1000",
        **settings,
    ).start()


@dataclass
class CanaryMeeting:
    """A meeting with canaries in its title, its people's names and a card, and one member per role."""

    members: dict[str, Member]
    card_id: str

    @property
    def meeting_id(self) -> str:
        return self.members["chair"].meeting_id

    @property
    def chair(self) -> Member:
        return self.members["chair"]


async def canary_meeting(server: ServerProcess) -> CanaryMeeting:
    chair = await create_meeting(server.url, title=TITLE, chair=CHAIR)
    members = {"chair": chair}
    for role, name in NAMES.items():
        members[role] = await add_member(server.url, chair, role, name)
    client = await BoardClient.connect(server.ws_url, chair)
    try:
        reply = await client.request({"type": "add_card", "column": "worries", "kind": "harm", "text": CARD})
        assert reply["type"] == "ack", reply
    finally:
        await client.close()
    return CanaryMeeting(members, reply["card_id"])


def with_token(member: Member, token: str, meeting_id: str | None = None) -> Member:
    """The member's browser carrying another cookie value (and, optionally, for another meeting)."""
    meeting = meeting_id or member.meeting_id
    return Member(meeting, member.participant_id, member.role, f"sos_{meeting}={token}")


def token_of(member: Member) -> str:
    return member.cookie.split("=", 1)[1]


def expire_session(database: Path, member: Member) -> None:
    """Move this member's session end into the past, as a conference day passing would."""
    token_hash = hashlib.sha256(token_of(member).encode()).hexdigest()
    with sqlite3.connect(database) as connection:
        changed = connection.execute(
            "UPDATE sessions SET expires_at = '2000-01-01 00:00:00.000000' WHERE token_hash = ?", (token_hash,)
        ).rowcount
    assert changed == 1, "the member's session is in the database, under its hash"


@dataclass
class UpgradeAnswer:
    status: int
    raw: bytes
    """Every byte the server sent back, headers and body, until it closed or went quiet."""


async def raw_upgrade(
    server: ServerProcess, meeting_id: str, cookie: str | None, origin: str | None, host: str | None = None
) -> UpgradeAnswer:
    """Open /ws/meetings/{id} by hand over a plain TCP socket, as any program (or a browser page) could, and keep
    all the server sends for 1 s after its answer's head (a refused upgrade's body; an accepted one's hello)."""
    key = base64.b64encode(os.urandom(16)).decode()
    headers = [
        f"GET /ws/meetings/{meeting_id} HTTP/1.1",
        f"Host: {host or f'127.0.0.1:{server.port}'}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie is not None:
        headers.append(f"Cookie: {cookie}")
    if origin is not None:
        headers.append(f"Origin: {origin}")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        # What follows the head: the denial's body, or the first frames of an accepted socket. Read until the server
        # closes, or a second of quiet (an accepted socket stays open), whichever comes first.
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 1.0)
            except TimeoutError:
                break
            if not chunk:
                break
            raw += chunk
    finally:
        writer.close()
    status = int(raw.split(b" ", 2)[1])
    return UpgradeAnswer(status, raw)


def forged_token() -> str:
    return secrets.token_urlsafe(32)


async def status_of(server: ServerProcess, member: Member, path: str = "/me") -> int:
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": member.cookie}) as http:
        return (await http.get(f"/api/meetings/{member.meeting_id}{path}")).status_code
