"""GET /api/health: ready when the database answers."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from tests.api._support import assert_error


@pytest.mark.asyncio
async def test_healthy_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.asyncio
async def test_unavailable_when_the_database_does_not_answer(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextlib.asynccontextmanager
    async def broken_read() -> AsyncIterator[None]:
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open database file"))
        yield

    monkeypatch.setattr(app.state.services.db, "read", broken_read)

    response = await client.get("/api/health")

    assert_error(response, 503, "database_unavailable")
