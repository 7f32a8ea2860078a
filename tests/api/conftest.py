"""An app per test on its own SQLite file, driven in-process through httpx (no server, no lifespan).

ASGITransport does not run the lifespan, so the fixture starts and stops the app's services itself.
Each "browser" is its own AsyncClient with its own cookie jar: the chair's laptop, the family tablet, ...
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.api._support import BASE_URL, JoinAs, Member, OpenBrowser, create_meeting, invite, join


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def app_settings(db_path: Path) -> Settings:
    """The app's settings: a test module overrides this fixture for a setting of its own."""
    return Settings(database_url=f"sqlite+aiosqlite:///{db_path}")


@pytest_asyncio.fixture
async def app(app_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(app_settings)
    await app.state.services.start()
    try:
        yield app
    finally:
        await app.state.services.stop()


@pytest_asyncio.fixture
async def open_browser(app: FastAPI) -> AsyncIterator[OpenBrowser]:
    """Opens a new browser (an AsyncClient with an empty cookie jar) on the app."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_one() -> httpx.AsyncClient:
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
            return await stack.enter_async_context(client)

        yield open_one


@pytest_asyncio.fixture
async def client(open_browser: OpenBrowser) -> httpx.AsyncClient:
    """A browser that has not signed in to anything."""
    return await open_browser()


@pytest_asyncio.fixture
async def chair(open_browser: OpenBrowser) -> Member:
    """The chair of a new meeting, signed in on their own browser."""
    return await create_meeting(await open_browser())


@pytest_asyncio.fixture
async def join_as(chair: Member, open_browser: OpenBrowser) -> JoinAs:
    """`await join_as("family")`: the chair invites someone, who opens the link on a browser of their own."""

    async def join_one(role: str, name: str = "Someone", meeting_chair: Member | None = None) -> Member:
        by = meeting_chair or chair
        _participant_id, token = await invite(by, role, name)
        return await join(await open_browser(), token)

    return join_one
