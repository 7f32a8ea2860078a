"""Refusals of the HTTP layer itself (a body too large, no such address or method, a body that is not JSON): each in
the one documented shape, `{"error": {"code", "message"}}`, and a large body refused before it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import MAX_REQUEST_BODY_BYTES
from tests.api._support import assert_error

START = b'{"title": "Conference", "chair_name": "Chair"}'


@pytest.mark.asyncio
async def test_a_body_declared_too_large_is_413_and_starts_nothing(client: httpx.AsyncClient) -> None:
    padded = START + b" " * MAX_REQUEST_BODY_BYTES
    response = await client.post("/api/meetings", content=padded, headers={"Content-Type": "application/json"})

    assert_error(response, 413, "too_large")
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.asyncio
async def test_a_body_sent_in_chunks_is_refused_once_it_passes_the_limit(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield START
        for _ in range(1_000):  # 16 MB if all were read
            sent += 1
            yield b" " * 16_384

    response = await client.post("/api/meetings", content=chunks(), headers={"Content-Type": "application/json"})

    assert_error(response, 413, "too_large")
    assert "set-cookie" not in response.headers
    assert sent <= MAX_REQUEST_BODY_BYTES // 16_384 + 1, "the body was read past the limit"


@pytest.mark.asyncio
async def test_a_body_within_the_limit_is_taken(client: httpx.AsyncClient) -> None:
    padded = START + b" " * (MAX_REQUEST_BODY_BYTES - len(START))
    response = await client.post("/api/meetings", content=padded, headers={"Content-Type": "application/json"})

    assert response.status_code == 201, response.text


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_says_so(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/meetings", content=b"{not json", headers={"Content-Type": "application/json"})

    body = assert_error(response, 422, "invalid")
    assert body["error"]["message"] == "The body is not valid JSON."


@pytest.mark.asyncio
async def test_no_such_address_is_404_not_found(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/no-such-thing"), 404, "not_found")


@pytest.mark.asyncio
async def test_a_method_the_address_does_not_take_is_405_with_the_ones_it_does(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/meetings")

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
