"""POST /api/join: the invite token from the link is exchanged for a session cookie."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.api._support import (
    Member,
    OpenBrowser,
    assert_error,
    assert_session_cookie,
    browser_with_cookie,
    invite,
    token_of,
    unknown_token,
)


@pytest.mark.asyncio
async def test_the_token_from_the_link_signs_the_browser_in(chair: Member, client: httpx.AsyncClient) -> None:
    participant_id, token = await invite(chair, "family", "Alex Parent")

    response = await client.post("/api/join", json={"token": token})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meeting"]["id"] == chair.meeting_id
    assert body["participant"] == {
        "id": participant_id,
        "display_name": "Alex Parent",
        "role": "family",
        "agency": None,
    }
    assert_session_cookie(response, chair.meeting_id)
    me = await client.get(chair.url("/me"))
    assert me.status_code == 200, me.text
    assert me.json()["participant"]["id"] == participant_id


@pytest.mark.asyncio
async def test_the_chairs_own_link_signs_in_another_device(open_browser: OpenBrowser) -> None:
    laptop, phone = await open_browser(), await open_browser()
    created = (await laptop.post("/api/meetings", json={"title": "Conference", "chair_name": "Chair"})).json()

    response = await phone.post("/api/join", json={"token": token_of(created["invite_url"])})

    assert response.status_code == 200, response.text
    assert response.json()["participant"]["id"] == created["participant"]["id"]
    assert (await phone.get(f"/api/meetings/{created['meeting']['id']}/me")).status_code == 200


@pytest.mark.asyncio
async def test_a_link_can_be_opened_again_until_revoked(
    chair: Member, client: httpx.AsyncClient, open_browser: OpenBrowser
) -> None:
    """A family tablet that was reset opens the same link again: a second session, the first still works."""
    _participant_id, token = await invite(chair, "family")
    first = await client.post("/api/join", json={"token": token})
    first_session = first.cookies[f"sos_{chair.meeting_id}"]

    second = await client.post("/api/join", json={"token": token})

    assert second.status_code == 200, second.text
    assert second.cookies[f"sos_{chair.meeting_id}"] != first_session
    old = await browser_with_cookie(open_browser, f"sos_{chair.meeting_id}", first_session)
    assert (await old.get(chair.url("/me"))).status_code == 200


@pytest.mark.asyncio
async def test_a_wrong_token_is_404_invite_not_found(chair: Member, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/join", json={"token": unknown_token()})

    assert_error(response, 404, "invite_not_found")
    assert "set-cookie" not in response.headers


@pytest.mark.asyncio
async def test_a_revoked_token_is_404_invite_not_found(chair: Member, client: httpx.AsyncClient) -> None:
    participant_id, token = await invite(chair, "professional")
    revoked = await chair.browser.delete(chair.url(f"/participants/{participant_id}/invite"))
    assert revoked.status_code == 204, revoked.text

    response = await client.post("/api/join", json={"token": token})

    assert_error(response, 404, "invite_not_found")
    assert "set-cookie" not in response.headers


@pytest.mark.asyncio
async def test_a_session_token_is_not_an_invite_token(chair: Member, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/join", json={"token": chair.session_token})

    assert_error(response, 404, "invite_not_found")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [{}, {"token": ""}, {"token": "short"}, {"token": "x" * 129}, {"token": 123}, {"token": "x" * 43, "role": "chair"}],
    ids=["missing", "empty", "short", "too-long", "number", "extra-field"],
)
async def test_malformed_bodies_are_422_invalid(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post("/api/join", json=body)

    assert_error(response, 422, "invalid")


def _database_text(db_path: Path) -> str:
    """Every value of every table, as one string."""
    with sqlite3.connect(db_path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables
        rows = [row for table in tables for row in connection.execute(f'SELECT * FROM "{table}"')]
    connection.close()
    return "\n".join(repr(row) for row in rows)


@pytest.mark.asyncio
async def test_tokens_are_stored_only_as_their_sha256(chair: Member, client: httpx.AsyncClient, db_path: Path) -> None:
    _participant_id, invite_token = await invite(chair, "family")
    response = await client.post("/api/join", json={"token": invite_token})
    session_token = response.cookies[f"sos_{chair.meeting_id}"]

    stored = _database_text(db_path)
    raw = b"".join(path.read_bytes() for path in db_path.parent.glob(f"{db_path.name}*"))  # with -wal

    for token in (invite_token, session_token, chair.session_token):
        assert token not in stored
        assert token.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest() in stored
