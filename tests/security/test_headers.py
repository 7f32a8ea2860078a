"""Headers on every answer: nothing of a case stays in a browser's or a proxy's cache (every route of the OpenAPI
schema, so a new route is covered the day it is added), HSTS exactly when the deployment is behind HTTPS, and no
name or secret in any URL the app makes (invite links, room links, download names, redirects)."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.api._support import BASE_URL, Member, create_meeting, invite, join

pytestmark = pytest.mark.asyncio

CANARY_TITLE = "Conference for Zebedee Quenby"
CANARY_CHAIR = "Ottoline Vashti"
CANARY_FAMILY = "Wilhelmina Quenby"
CANARY_NAMES = ("Zebedee", "Quenby", "Ottoline", "Vashti", "Wilhelmina")

CACHEABLE_WITHOUT_CASE_DATA = {("get", "/api/glossary")}
"""Answers a browser may keep: the same for everyone, about no meeting (the plain-words glossary)."""

LAST = ("/leave",)
"""Signing out ends the chair's session; it runs after every other route has been asked."""

AppFactory = Callable[..., Awaitable[FastAPI]]


@pytest_asyncio.fixture
async def make_app(tmp_path: Path) -> AsyncIterator[AppFactory]:
    """An app on its own SQLite file, its services started (ASGITransport runs no lifespan)."""
    started: list[FastAPI] = []

    async def make(**settings: Any) -> FastAPI:
        database = tmp_path / f"headers-{len(started)}.db"
        app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}", **settings))
        await app.state.services.start()
        started.append(app)
        return app

    try:
        yield make
    finally:
        for app in started:
            await app.state.services.stop()


@contextlib.asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI schema: reads first, sign-out last, so each asks a live session."""
    found = [(method, path) for path, item in app.openapi()["paths"].items() for method in item]
    order = {"get": 0, "put": 1, "post": 1, "patch": 1, "delete": 2}
    return sorted(found, key=lambda op: (op[1].endswith(LAST), order.get(op[0], 1), op[1]))


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: ids.get(match.group(1), secrets.token_hex(8)), path)


async def ask_every_route(app: FastAPI, client: httpx.AsyncClient, ids: dict[str, str]) -> list[httpx.Response]:
    answers = []
    for method, path in operations(app):
        body = {} if method in ("post", "put", "patch") else None
        answers.append(await client.request(method.upper(), concrete(path, ids), json=body))
    return answers


async def meeting_with_people(app: FastAPI, client: httpx.AsyncClient) -> tuple[Member, dict[str, str], str]:
    """A meeting whose title and people carry canary names; the chair signed in on `client`."""
    chair = await create_meeting(client, title=CANARY_TITLE, chair_name=CANARY_CHAIR)
    family_id, family_token = await invite(chair, "family", CANARY_FAMILY)
    return chair, {"meeting_id": chair.meeting_id, "participant_id": family_id}, family_token


async def test_every_api_route_tells_browsers_and_proxies_to_keep_no_copy(make_app: AppFactory) -> None:
    app = await make_app()
    async with browser(app) as chair_browser, browser(app) as stranger:
        _, ids, _ = await meeting_with_people(app, chair_browser)
        as_chair = await ask_every_route(app, chair_browser, ids)
        as_stranger = await ask_every_route(app, stranger, ids)
    kept = [
        f"{answer.request.method} {answer.request.url.path} -> {answer.status_code} "
        f"Cache-Control: {answer.headers.get('cache-control')}"
        for answer in as_chair + as_stranger
        if "no-store" not in answer.headers.get("cache-control", "")
        and (answer.request.method.lower(), answer.request.url.path) not in CACHEABLE_WITHOUT_CASE_DATA
    ]
    assert kept == []
    # The chair's reads reached real case data (not only refusals), so the header was checked where it matters.
    served = {a.request.url.path.rsplit("/", 1)[1] for a in as_chair if a.request.method == "GET" and a.is_success}
    assert {"board", "participants", "record.json", "record.md", "record.pdf", "audit", "audit.csv"} <= served
    assert len(as_chair) >= 30


async def test_the_only_cacheable_api_answers_hold_no_meeting(make_app: AppFactory) -> None:
    app = await make_app()
    paths = app.openapi()["paths"]
    for method, path in CACHEABLE_WITHOUT_CASE_DATA:
        assert "{" not in path, path
        assert not any(p["in"] == "cookie" for p in paths[path][method].get("parameters", []))


async def test_pages_and_the_api_reference_keep_no_copy_and_static_files_may(make_app: AppFactory) -> None:
    app = await make_app()
    async with browser(app) as client:
        for path in ("/", "/join", "/room", "/meetings/abc", "/docs", "/openapi.json", "/no-such-page"):
            answer = await client.get(path)
            assert "no-store" in answer.headers.get("cache-control", ""), (path, answer.status_code)
        static = await client.get("/static/styles.css")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("cache-control", "")


async def test_behind_https_every_answer_says_use_only_https_for_a_year(make_app: AppFactory) -> None:
    app = await make_app(secure_cookies=True)
    async with browser(app) as client:
        answers = [
            await client.get("/"),
            await client.get("/static/styles.css"),
            await client.get("/api/health"),
            await client.get("/api/meetings/nope/board"),
            await client.post("/api/join", json={"token": "x"}),
        ]
    for answer in answers:
        hsts = answer.headers.get("strict-transport-security", "")
        max_age = re.search(r"max-age=(\d+)", hsts)
        assert max_age and int(max_age.group(1)) >= 31_536_000, (answer.request.url.path, hsts)


async def test_without_https_no_answer_pins_the_browser_to_https(make_app: AppFactory) -> None:
    app = await make_app(secure_cookies=False)
    async with browser(app) as client:
        _, ids, _ = await meeting_with_people(app, client)
        answers = [
            await client.get("/"),
            await client.get("/static/styles.css"),
            *await ask_every_route(app, client, ids),
        ]
    assert [a.request.url.path for a in answers if "strict-transport-security" in a.headers] == []


def urls_in(answer: httpx.Response) -> list[str]:
    """Every URL an answer hands out: in its JSON body, a Location header, a download's name."""
    found = re.findall(r"https?://[^\s\"'<>]+", answer.text if "json" in answer.headers.get("content-type", "") else "")
    found += [answer.headers[name] for name in ("location", "content-disposition") if name in answer.headers]
    return found


async def test_no_url_the_app_makes_carries_a_name_or_a_secret(make_app: AppFactory) -> None:
    app = await make_app()
    async with browser(app) as chair_browser, browser(app) as family_browser:
        chair, ids, family_token = await meeting_with_people(app, chair_browser)
        family = await join(family_browser, family_token)
        session_secrets = [chair.session_token, family.session_token, family_token]
        code = await chair_browser.post(chair.url("/room-code"))
        assert code.status_code in (200, 201), code.text
        room_code = code.json()["code"]
        answers = await ask_every_route(app, chair_browser, ids)
        answers.append(code)
    handed_out = [url for answer in answers for url in urls_in(answer)]
    assert any("/join#" in url for url in handed_out)  # the invite links were among them
    assert any("/room#" in url for url in handed_out)
    for url in handed_out:
        before_fragment = url.split("#", 1)[0]
        for secret in [*session_secrets, room_code, room_code.replace("-", "")]:
            assert secret not in before_fragment, url
        for name in CANARY_NAMES:
            assert name.lower() not in url.lower(), url
