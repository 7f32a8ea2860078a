"""POST /api/meetings: the chair starts a meeting and is signed in on this browser."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest

from tests.api._support import assert_error, assert_session_cookie, token_of


@pytest.mark.asyncio
async def test_creates_the_meeting_with_its_chair(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/meetings", json={"title": "  Initial conference, 27 November ", "chair_name": " Sam Chair "}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"meeting", "participant", "invite_url"}
    meeting = body["meeting"]
    assert meeting["title"] == "Initial conference, 27 November"
    assert meeting["status"]
    assert datetime.fromisoformat(meeting["created_at"]).tzinfo is not None
    assert body["participant"] == {
        "id": body["participant"]["id"],
        "display_name": "Sam Chair",
        "role": "chair",
        "agency": None,
    }


@pytest.mark.asyncio
async def test_invite_url_carries_a_long_token_only_in_the_fragment(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/meetings", json={"title": "Conference", "chair_name": "Chair"})

    invite_url = response.json()["invite_url"]
    token = token_of(invite_url)  # http://testserver/join#<token>
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", token), token  # >= 128 bits of urlsafe base64
    assert httpx.URL(invite_url).path == "/join"
    assert httpx.URL(invite_url).query == b""


@pytest.mark.asyncio
async def test_signs_the_chair_in_with_a_browser_session_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/meetings", json={"title": "Conference", "chair_name": "Chair"})

    meeting_id = response.json()["meeting"]["id"]
    session_token = assert_session_cookie(response, meeting_id)
    assert session_token != token_of(response.json()["invite_url"])
    me = await client.get(f"/api/meetings/{meeting_id}/me")
    assert me.status_code == 200, me.text
    assert me.json()["participant"]["role"] == "chair"


@pytest.mark.asyncio
async def test_each_meeting_is_new(client: httpx.AsyncClient) -> None:
    first = (await client.post("/api/meetings", json={"title": "One", "chair_name": "Chair"})).json()
    second = (await client.post("/api/meetings", json={"title": "Two", "chair_name": "Chair"})).json()

    assert first["meeting"]["id"] != second["meeting"]["id"]
    assert first["invite_url"] != second["invite_url"]
    # Both sessions live side by side in one browser, one cookie per meeting.
    for created in (first, second):
        me = await client.get(f"/api/meetings/{created['meeting']['id']}/me")
        assert me.json()["meeting"]["title"] == created["meeting"]["title"]


@pytest.mark.asyncio
async def test_title_may_be_200_characters(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/meetings", json={"title": "x" * 200, "chair_name": "Chair"})

    assert response.status_code == 201, response.text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "chair_name": "Chair"}, "title"),
        ({"title": "   ", "chair_name": "Chair"}, "title"),
        ({"title": "x" * 201, "chair_name": "Chair"}, "title"),
        ({"title": "Conference", "chair_name": ""}, "chair_name"),
        ({"title": "Conference", "chair_name": "x" * 81}, "chair_name"),
        ({"title": "Conference"}, "chair_name"),
        ({"title": "Conference", "chair_name": "Chair", "role": "chair"}, "role"),
        ({"title": 42, "chair_name": "Chair"}, "title"),
    ],
    ids=["empty-title", "blank-title", "201-char-title", "empty-name", "81-char-name", "no-name", "extra", "number"],
)
async def test_bad_bodies_are_422_invalid(client: httpx.AsyncClient, body: dict[str, object], field: str) -> None:
    response = await client.post("/api/meetings", json=body)

    error = assert_error(response, 422, "invalid")
    assert field in error["error"]["message"]
    assert "set-cookie" not in response.headers


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_422_invalid(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/meetings", content=b"title=Conference", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert_error(response, 422, "invalid")


# What Python strips (str.isspace), what ECMAScript's \s names (U+FEFF besides), NUL, and a letter.
CHARACTERS_ANY_DIALECT_MAY_CALL_BLANK = sorted(
    {chr(cp) for cp in range(0x3001) if chr(cp).isspace()} | {"\ufeff", "\x00", "a"}
)


@pytest.mark.asyncio
async def test_the_published_schema_says_which_names_are_blank_as_the_server_does(client: httpx.AsyncClient) -> None:
    # A client (or the API fuzzer) validating against the OpenAPI schema must refuse exactly what the server
    # refuses. The schema's pattern is read by an ECMAScript regex engine there, by Python's here: a shorthand like
    # \s names other characters in each (ECMAScript's lacks U+0085), so a name of one U+0085 passed the schema and
    # was refused by the server.
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["CreateMeeting"]
    pattern = schema["properties"]["chair_name"]["pattern"]
    assert not re.search(r"\\[sSwWdDb]", pattern), pattern
    for character in CHARACTERS_ANY_DIALECT_MAY_CALL_BLANK:
        response = await client.post("/api/meetings", json={"title": "Conference", "chair_name": character})
        allowed = re.search(pattern, character) is not None
        assert response.status_code == (201 if allowed else 422), (hex(ord(character)), response.text)
