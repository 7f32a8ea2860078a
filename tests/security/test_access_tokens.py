"""The secrets that open a meeting: invite tokens, session and lobby cookies, room codes.

- Strength: every token the server hands out is 32 random bytes (256 bits, app/store/tokens.py:
  `secrets.token_urlsafe(32)`), at least the 128 bits the design asks; a room code is 8 symbols of 31 (39.6 bits),
  which is why guessing it is rate-limited (app/api/lobby.py has the arithmetic; checked here on a live server).
- At rest: after a whole meeting (invites, joins, a reissued link, a room code, a lobby device let in), the
  database file (with its WAL) holds none of them as sent, only SHA-256 hashes; the room code is derived from a
  key kept outside the database.
- In logs: the server's own log, at its most verbose level (trace), holds no token, cookie, code, name or word.
- Single use: the lobby's admission opens a session once; a reissued link's old token joins no more.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.lobby import guess_odds
from app.config import Settings
from app.store.lobby import ALPHABET, CODE_LENGTH, CODE_SPACE
from app.store.tokens import new_token
from tests.conftest import ServerProcess
from tests.security.access_world import CANARIES, canaries_in, canary_meeting, start_server, token_of
from tests.support.clients import BoardClient, create_meeting, invite, join

pytestmark = pytest.mark.asyncio

MIN_TOKEN_BITS = 128


def bits_of(token: str) -> int:
    """The bits a base64url token carries (it must be nothing but base64url)."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "board.db"


@pytest.fixture
def server(database: Path) -> Iterator[ServerProcess]:
    process = start_server(database, log_level="trace")
    try:
        yield process
    finally:
        process.stop()


async def test_the_token_maker_draws_256_random_bits() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert {bits_of(token) for token in tokens} == {256}


async def test_no_secret_is_stored_as_sent_nor_logged(server: ServerProcess, database: Path) -> None:
    meeting = await canary_meeting(server)
    chair = meeting.chair
    secrets_sent: dict[str, str] = {f"{role}'s session cookie": token_of(m) for role, m in meeting.members.items()}
    old_token = await invite(server.url, chair, "professional", "Reissued person")
    reissued = await join(server.url, old_token)
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        base = f"/api/meetings/{chair.meeting_id}"
        again = await http.post(f"{base}/participants/{reissued.participant_id}/invite")
        new_token_ = str(again.json()["invite_url"]).split("#", 1)[1]
        code = (await http.post(f"{base}/room-code")).json()["code"]
        async with httpx.AsyncClient(base_url=server.url) as tablet:
            waiting = await tablet.post("/api/lobby", json={"code": code})
            lobby_cookie = waiting.cookies["sos_lobby"]
            [device] = (await http.get(f"{base}/lobby")).json()
            admitted = await http.post(
                f"{base}/lobby/{device['id']}/admit", json={"display_name": "Lobby tablet", "role": "family"}
            )
            assert admitted.status_code == 201
            first = await tablet.get("/api/lobby")
            assert first.json()["state"] == "admitted"
            tablet_session = first.cookies[f"sos_{chair.meeting_id}"]
            second = await tablet.get("/api/lobby")
    tab = await BoardClient.connect(server.ws_url, reissued)  # a socket's upgrade is logged too
    await tab.close()
    secrets_sent |= {
        "the reissued person's first invite token": old_token,
        "their session cookie": token_of(reissued),
        "their new invite token": new_token_,
        "the room code as shown": code,
        "the room code as typed": code.replace("-", ""),
        "the lobby cookie": lobby_cookie,
        "the lobby tablet's session cookie": tablet_session,
    }

    # Every token is at least 128 bits; the room code is what the rate limit is for.
    for what, secret in secrets_sent.items():
        if "room code" not in what:
            assert bits_of(secret) >= MIN_TOKEN_BITS, what
    # The lobby's admission opened one session, once.
    assert second.json() == {"state": "used", "meeting_id": None}
    assert f"sos_{chair.meeting_id}" not in second.headers.get("set-cookie", "")
    # A reissued link's old token joins no more.
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/api/join", json={"token": old_token})).status_code == 404

    stored = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    assert meeting.meeting_id.encode() in stored and canaries_in(stored), "the search reads what the database holds"
    assert hashlib.sha256(token_of(chair).encode()).hexdigest().encode() in stored, "sessions are kept as hashes"
    assert [what for what, secret in secrets_sent.items() if secret.encode() in stored] == []

    server.stop()  # everything written to the log is on disk
    log = server.log()
    assert "TRACE" in log or "trace" in log, "the log is at its most verbose level"
    assert [what for what, secret in secrets_sent.items() if secret in log] == []
    assert [canary for canary in CANARIES if canary in log] == []


async def test_guessing_a_room_code_is_slowed_per_address_and_capped_for_the_server(server: ServerProcess) -> None:
    """The limits as a guesser meets them on a live server with the defaults: 10 wrong codes from an address,
    then 429 with Retry-After, even for the right code (guessing fails closed). The odds of ever hitting a given
    live code are G x T / N with G the server-wide cap a minute and T its lifetime in minutes."""
    defaults = Settings()
    assert CODE_SPACE == len(ALPHABET) ** CODE_LENGTH == 31**8
    odds = guess_odds(defaults.room_code_tries_per_minute, defaults.session_hours)
    assert odds == 60 * 12 * 60 / 31**8 and odds < 1e-6, f"{odds:.2e}"
    assert math.log2(CODE_SPACE) > 39

    chair = await create_meeting(server.url)
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        code = (await http.post(f"/api/meetings/{chair.meeting_id}/room-code")).json()["code"]
    wrong = next(f"{a}{a}{a}{a}-{a}{a}{a}{a}" for a in ALPHABET if f"{a}{a}{a}{a}-{a}{a}{a}{a}" != code)
    async with httpx.AsyncClient(base_url=server.url) as guesser:
        answers = [(await guesser.post("/api/lobby", json={"code": wrong})).status_code for _ in range(11)]
        right = await guesser.post("/api/lobby", json={"code": code})
    assert answers == [404] * defaults.room_code_tries_per_address + [429]
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert right.json()["error"]["code"] == "too_many_tries"
